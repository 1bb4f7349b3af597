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


def _link(api: TestClient, emulator: EmulatorControl, headers: dict[str, str]) -> str:
    created = api.post("/api/connections", json={"institution_id": SANDBOX}, headers=headers)
    assert created.status_code == 201, created.text
    query = parse_qs(urlsplit(emulator.approve(created.json()["link"])).query)
    callback = api.get(
        "/api/connections/callback", params={"ref": query["ref"][0]}, follow_redirects=False
    )
    assert callback.status_code == 303
    assert "outcome=connected" in callback.headers["location"]
    connection_id: str = created.json()["connection"]["id"]
    return connection_id


def _finished_jobs(connection_id: str, count: int) -> list[Job]:
    def finished() -> list[Job] | None:
        with session_scope() as session:
            jobs = list(
                session.execute(
                    select(Job)
                    .where(Job.entity_type == EntityType.CONNECTION, Job.entity_id == connection_id)
                    .order_by(Job.created_at)
                ).scalars()
            )
            session.expunge_all()
        done = [job for job in jobs if job.status.is_terminal]
        return done if len(done) >= count else None

    return wait_until(finished, timeout=WAIT, interval=0.5, what="the sync job to finish")


@pytest.fixture
def api(bank: GoCardlessClient) -> Iterator[TestClient]:
    """The API committing its work for real, so the worker and Dagster see it."""
    app = create_app()
    app.dependency_overrides[get_bank_client] = lambda: bank
    with TestClient(app) as client:
        yield client


@pytest.mark.usefixtures("committed_db")
def test_callback_to_synced_transactions(
    sync_stack: DagsterServer, emulator: EmulatorControl, api: TestClient
) -> None:
    with session_scope() as session:
        user = make_user(session)

    connection_id = _link(api, emulator, auth_headers_for(user))

    [job] = _finished_jobs(connection_id, 1)
    assert job.status is JobStatus.COMPLETED, (job.error_message, _logs(sync_stack))
    assert job.dagster_run_id is not None
    assert _count(Transaction, connection_id) > 20
    assert _count(Balance, connection_id) == 4
    listed = api.get("/api/connections", headers=auth_headers_for(user)).json()["connections"]
    assert listed[0]["last_synced_at"] is not None
    assert listed[0]["remaining_daily_syncs"] == 3


@pytest.mark.usefixtures("committed_db")
def test_refresh_after_the_agreement_expired(
    sync_stack: DagsterServer, emulator: EmulatorControl, api: TestClient
) -> None:
    with session_scope() as session:
        user = make_user(session)
    headers = auth_headers_for(user)
    connection_id = _link(api, emulator, headers)
    _finished_jobs(connection_id, 1)
    emulator.set_faults(mode="agreement_expired")

    refresh = api.post(f"/api/connections/{connection_id}/sync", headers=headers)

    assert refresh.status_code == 202, refresh.text
    failed = _finished_jobs(connection_id, 2)[-1]
    assert failed.status is JobStatus.FAILED
    assert failed.error_message is not None
    assert "Bank access expired; reconnect the bank" in failed.error_message
    listed = api.get("/api/connections", headers=headers).json()["connections"][0]
    assert listed["status"] == "expired"
    assert listed["status_reason"] == "Bank access expired; reconnect the bank"
    assert listed["latest_sync_job"]["status"] == "failed"


def _logs(server: DagsterServer) -> str:
    return "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in sorted(Path(server.behaviour_dir).glob("*.log"))
        if os.path.getsize(path)
    )
