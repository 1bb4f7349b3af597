"""The deployment files describe the whole topology and agree with the code.

No Docker engine runs here, so docker-compose.yml is checked as data: every service of the
topology is there with a health check, ports are published on loopback only, and every
command names a module, script or setting the project really has. The Procfile (`make up`)
runs the same processes.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings
from tests.support.paths import ROOT

TOPOLOGY = {
    "postgres",
    "redis",
    "api",
    "worker",
    "beat",
    "flower",
    "dagster-webserver",
    "dagster-daemon",
    "emulator",
    "frontend",
}
# Variables read by something other than app.config.Settings.
EXTERNAL_VARIABLES = {
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "EMULATOR_STATE_FILE",
    "EMULATOR_PUBLIC_URL",
    "NUXT_API_PROXY",
    "NUXT_TELEMETRY_DISABLED",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))


def test_every_service_of_the_topology_is_there(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= TOPOLOGY


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name in TOPOLOGY:
        assert compose["services"][name].get("healthcheck", {}).get("test"), name


def test_published_ports_are_on_loopback_only(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_dependencies_name_real_services(compose: dict[str, Any]) -> None:
    services = set(compose["services"])
    for name, service in compose["services"].items():
        assert set(service.get("depends_on") or {}) <= services, name


def test_environment_variables_are_settings_the_code_reads(compose: dict[str, Any]) -> None:
    known = {field.upper() for field in Settings.model_fields} | EXTERNAL_VARIABLES
    for name, service in compose["services"].items():
        for variable in service.get("environment") or {}:
            assert variable in known, (name, variable)


def _command_targets(command: list[str]) -> list[str]:
    text = " ".join(command)
    targets = re.findall(r"-A (\S+)", text) + re.findall(r"-m (\S+)", text)
    targets += [word.split(":")[0] for word in command if re.fullmatch(r"[\w.]+:\w+", word)]
    return targets


def test_commands_name_modules_and_scripts_that_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        command = service.get("command")
        if not isinstance(command, list) or name in {"postgres", "redis", "frontend"}:
            continue
        for module in _command_targets(command):
            importlib.import_module(module)
        for word in command:
            if word.startswith("scripts/"):
                assert (ROOT / word).is_file(), word
    assert (ROOT / "workspace.yaml").is_file()
    assert (ROOT / "deploy/dagster/dagster.yaml").is_file()
    assert (ROOT / "deploy/postgres-init.sql").is_file()


def test_make_up_runs_the_same_processes() -> None:
    procfile = _procfile()
    assert set(procfile) == {
        "api",
        "worker",
        "beat",
        "flower",
        "dagster",
        "dagster-daemon",
        "emulator",
        "frontend",
    }
    for module in ("app.main", "worker.celery_app", "worker.flower", "emulator.app"):
        assert any(module in command for command in procfile.values()), module
    dagster = procfile["dagster"]
    assert "scripts/dagster.sh webserver" in dagster


def test_dagster_webserver_listens_on_loopback_in_make_up() -> None:
    assert Settings(_env_file=None).dagster_url.startswith("http://127.0.0.1:")
    script = (ROOT / "scripts/dagster.sh").read_text()
    assert '-h "$DAGSTER_WEBSERVER_HOST"' in script


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_compose_config_is_valid_where_compose_is_installed() -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the docker client has no compose plugin here")
    result = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_dockerfile_installs_from_the_lock_file() -> None:
    dockerfile = Path(ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile
