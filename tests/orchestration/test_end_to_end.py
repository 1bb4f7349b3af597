"""The whole path once: the bank's callback (LN) queues a sync job, a real Celery worker
dispatches it to a real Dagster webserver + daemon loading ``orchestration.definitions``,
the run syncs the emulator's data into Postgres, and beat's reconciler completes the job."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.models import Account, Balance, Transaction
from app.connections.bank import get_bank_client
from app.db import session_scope
from app.enums import EntityType, JobStatus
from app.jobs.models import Job
from app.main import create_app
from app.providers.gocardless import GoCardlessClient
from emulator.testing import EmulatorControl
from tests.conftest import auth_headers_for, make_user
from tests.orchestration.support import SANDBOX
from tests.support.processes import wait_until
from tests.support.stack import LiveStack, run_stack

WAIT = 120.0


@pytest.fixture(scope="module")
def sync_stack(tmp_path_factory: pytest.TempPathFactory, emulator_url: str) -> Iterator[LiveStack]:
    """Dagster (webserver + daemon) on the real code location, a Celery worker and beat."""
    with run_stack(tmp_path_factory.mktemp("sync-stack"), emulator_url=emulator_url) as stack:
        yield stack


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
    sync_stack: LiveStack, emulator: EmulatorControl, api: TestClient
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
    sync_stack: LiveStack, emulator: EmulatorControl, api: TestClient
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


def _logs(stack: LiveStack) -> str:
    return stack.logs()
