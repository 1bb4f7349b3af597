"""A real Dagster webserver and daemon for the test session.

They run the committed instance config (``deploy/dagster/dagster.yaml``: Postgres storage,
run queue with one run per connection, run monitoring) in a throw-away ``DAGSTER_HOME``
with a throw-away Postgres database, on a free loopback port, loading the stand-in code
location ``tests/support/dagster_test_location.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from dagster import DagsterInstance

from tests.support.dagster_test_location import BEHAVIOUR_DIR_ENV
from tests.support.paths import ROOT
from tests.support.processes import BIN, ManagedProcess, free_port, python_env, wait_until

INSTANCE_TEMPLATE = ROOT / "deploy" / "dagster" / "dagster.yaml"
TEST_LOCATION_MODULE = "tests.support.dagster_test_location"
SYNC_JOB_NAME = "gocardless_connection_sync_job"

_REPOSITORIES_QUERY = """
{ repositoriesOrError { __typename
    ... on RepositoryConnection { nodes { name location { name } pipelines { name } } } } }
"""

_DAEMON_HEALTH_QUERY = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"


@dataclass
class DagsterServer:
    url: str
    home: Path
    behaviour_dir: Path
    webserver: ManagedProcess
    daemon: ManagedProcess

    def steer(self, connection_id: object, **behaviour: Any) -> None:
        """Make the test job's runs for ``connection_id`` sleep and/or fail (see the location)."""
        path = self.behaviour_dir / f"{connection_id}.json"
        path.write_text(json.dumps(behaviour))

    def wait_ready(self, location_name: str, timeout: float = 120.0) -> None:
        def job_loaded() -> bool:
            self.webserver.ensure_alive()
            self.daemon.ensure_alive()
            try:
                answer = self._graphql(_REPOSITORIES_QUERY)
            except (httpx.HTTPError, ValueError):
                return False
            nodes = answer["data"]["repositoriesOrError"].get("nodes") or []
            return any(
                node["location"]["name"] == location_name
                and any(job["name"] == SYNC_JOB_NAME for job in node["pipelines"])
                for node in nodes
            )

        wait_until(job_loaded, timeout=timeout, interval=0.3, what="the Dagster webserver")

        def run_queue_healthy() -> bool:
            self.daemon.ensure_alive()
            answer = self._graphql(_DAEMON_HEALTH_QUERY)
            health = ((answer.get("data") or {}).get("instance") or {}).get("daemonHealth") or {}
            statuses = health.get("allDaemonStatuses") or []
            return any(
                status["daemonType"] == "QUEUED_RUN_COORDINATOR" and status["healthy"]
                for status in statuses
            )

        wait_until(run_queue_healthy, timeout=timeout, interval=0.3, what="the Dagster daemon")

    def _graphql(self, query: str) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.post(
            f"{self.url}/graphql", json={"query": query}, timeout=5
        ).json()
        return answer

    def stop(self) -> None:
        for process in (self.daemon, self.webserver):
            process.stop()


POSTGRES_URL_ENV = "DAGSTER_POSTGRES_URL"


def instance_config() -> dict[str, Any]:
    """The committed instance config with Dagster's default SQLite storage instead."""
    config: dict[str, Any] = yaml.safe_load(INSTANCE_TEMPLATE.read_text())
    config.pop("storage", None)
    return config


def start_dagster(
    workdir: Path,
    *,
    location_name: str,
    env: dict[str, str],
    postgres_url: str,
    module_name: str = TEST_LOCATION_MODULE,
) -> DagsterServer:
    """Start the webserver and the daemon; call ``wait_ready`` before using them.

    ``module_name`` is the code location: the steerable stand-in by default, or
    ``orchestration.definitions`` for the real sync job.

    ``postgres_url`` (``postgresql://...``, an empty database) holds Dagster's storage; the
    caller's process must have it in ``DAGSTER_POSTGRES_URL`` too (the config reads it there).
    """
    home = workdir / "dagster_home"
    behaviour_dir = workdir / "dagster_behaviour"
    home.mkdir(parents=True)
    behaviour_dir.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_TEMPLATE.read_text())
    workspace = home / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {
                        "python_module": {
                            "module_name": module_name,
                            "location_name": location_name,
                            "working_directory": str(ROOT),
                        }
                    }
                ]
            }
        )
    )
    # Create the storage schema here, once: the webserver and the daemon starting together on
    # an empty database would both stamp it.
    DagsterInstance.from_config(str(home)).dispose()
    port = free_port()
    process_env = python_env(
        {
            **env,
            "DAGSTER_HOME": str(home),
            POSTGRES_URL_ENV: postgres_url,
            BEHAVIOUR_DIR_ENV: str(behaviour_dir),
        }
    )
    webserver = ManagedProcess(
        "dagster-webserver",
        [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
        env=process_env,
        log_dir=workdir,
    )
    daemon = ManagedProcess(
        "dagster-daemon",
        [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        env=process_env,
        log_dir=workdir,
    )
    return DagsterServer(
        url=f"http://127.0.0.1:{port}",
        home=home,
        behaviour_dir=behaviour_dir,
        webserver=webserver,
        daemon=daemon,
    )
