"""The whole path once: the bank's callback (LN) queues a sync job, a real Celery worker
dispatches it to a real Dagster webserver + daemon loading ``orchestration.definitions``,
the run syncs the emulator's data into Postgres, and beat's reconciler completes the job."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.models import Account, Balance, Transaction
from app.config import get_settings
from app.connections.bank import get_bank_client
from app.db import session_scope
from app.enums import EntityType, JobStatus
from app.jobs.models import Job
from app.main import create_app
from app.providers.gocardless import GoCardlessClient
from emulator.testing import EmulatorControl
from tests.conftest import auth_headers_for, make_user
from tests.orchestration.support import SANDBOX
from tests.support.celery_worker import start_beat, start_worker, wait_worker_ready
from tests.support.dagster import DagsterServer, instance_config
from tests.support.paths import ROOT
from tests.support.processes import BIN, ManagedProcess, free_port, python_env, wait_until

WAIT = 120.0


@pytest.fixture(scope="module")
def sync_stack(
    tmp_path_factory: pytest.TempPathFactory, emulator_url: str
) -> Iterator[DagsterServer]:
    """Dagster (webserver + daemon) on the real code location, a Celery worker and beat."""
    workdir = tmp_path_factory.mktemp("sync-stack")
    home = workdir / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_config()))
    location = get_settings().dagster_repository_location
    workspace = home / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {
                        "python_module": {
                            "module_name": "orchestration.definitions",
                            "location_name": location,
                            "working_directory": str(ROOT),
                        }
                    }
                ]
            }
        )
    )
    port = free_port()
    env = {
        "DAGSTER_URL": f"http://127.0.0.1:{port}",
        "RECONCILE_INTERVAL_SECONDS": "1",
        "GOCARDLESS_BASE_URL": f"{emulator_url}/api/v2/",
    }
    dagster_env = python_env({**env, "DAGSTER_HOME": str(home)})
    processes: list[ManagedProcess] = []
    try:
        webserver = ManagedProcess(
            "dagster-webserver",
            [
                str(BIN / "dagster-webserver"),
                *("-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)),
            ],
            env=dagster_env,
            log_dir=workdir,
        )
        processes.append(webserver)
        daemon = ManagedProcess(
            "dagster-daemon",
            [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
            env=dagster_env,
            log_dir=workdir,
        )
        processes.append(daemon)
        worker = start_worker(workdir, env, concurrency=1)
        processes.append(worker)
        server = DagsterServer(env["DAGSTER_URL"], home, workdir, webserver, daemon)
        server.wait_ready(location, timeout=WAIT)
        wait_worker_ready(worker)
        processes.append(start_beat(workdir, env))
        yield server
    finally:
        for process in reversed(processes):
            process.stop()


def _count(model: type[Balance] | type[Transaction], connection_id: str) -> int:
    with session_scope() as session:
        return session.execute(
            select(func.count())
            .select_from(model)
            .join(Account, Account.id == model.account_id)
            .where(Account.connection_id == connection_id)
        ).scalar_one()


@pytest.mark.usefixtures("committed_db")
def test_callback_to_synced_transactions(
    sync_stack: DagsterServer, emulator: EmulatorControl, bank: GoCardlessClient
) -> None:
    with session_scope() as session:
        user = make_user(session)
    app = create_app()
    app.dependency_overrides[get_bank_client] = lambda: bank
    with TestClient(app) as api:
        created = api.post(
            "/api/connections", json={"institution_id": SANDBOX}, headers=auth_headers_for(user)
        )
        assert created.status_code == 201, created.text
        connection_id = created.json()["connection"]["id"]
        query = parse_qs(urlsplit(emulator.approve(created.json()["link"])).query)

        callback = api.get(
            "/api/connections/callback", params={"ref": query["ref"][0]}, follow_redirects=False
        )
    assert callback.status_code == 303
    assert "outcome=connected" in callback.headers["location"]

    def finished() -> Job | None:
        with session_scope() as session:
            job = session.execute(
                select(Job).where(
                    Job.entity_type == EntityType.CONNECTION, Job.entity_id == connection_id
                )
            ).scalar_one()
            session.expunge(job)
        return job if job.status.is_terminal else None

    job = wait_until(finished, timeout=WAIT, interval=0.5, what="the sync job to finish")

    assert job.status is JobStatus.COMPLETED, (job.error_message, _logs(sync_stack))
    assert job.dagster_run_id is not None
    assert _count(Transaction, connection_id) > 20
    assert _count(Balance, connection_id) == 4


def _logs(server: DagsterServer) -> str:
    return "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in sorted(Path(server.behaviour_dir).glob("*.log"))
        if os.path.getsize(path)
    )
