"""Faults around a running sync: each ends in a truthful job status, with one Dagster run.

- the run is terminated from the Dagster UI;
- the run never leaves STARTING;
- every Postgres connection is severed while the sync runs (what a database restart does to
  its clients).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import get_settings
from app.connections.models import Connection
from app.db import get_engine
from app.enums import JobStatus
from app.jobs.service import JOB_ID_TAG
from app.jobs.tasks import reconcile
from tests.conftest import TEST_DATABASE_URL
from tests.dispatch.conftest import (
    DispatchStack,
    Owner,
    add_dagster_run,
    dagster_instance,
    load_job,
    runs_tagged,
    wait_for_job,
    wait_for_status,
)
from tests.dispatch.test_reconcile import add_running_jobs

pytestmark = pytest.mark.usefixtures("beat")


@pytest.fixture
def owner(make_owner: Callable[[], Owner]) -> Owner:
    return make_owner()


@pytest.fixture
def connection(owner: Owner, make_connection: Callable[..., Connection]) -> Connection:
    return make_connection(owner.user)


def _start_sync(stack: DispatchStack, owner: Owner, connection: Connection) -> uuid.UUID:
    with stack.api.client(headers=owner.headers) as api:
        posted = api.post(f"/api/connections/{connection.id}/sync")
    assert posted.status_code == 202, posted.text
    job_id = uuid.UUID(posted.json()["id"])
    wait_for_job(job_id, lambda job: job.status is JobStatus.RUNNING, what="the job running")
    return job_id


def test_run_terminated_from_the_dagster_ui_fails_the_job(
    stack: DispatchStack, owner: Owner, connection: Connection
) -> None:
    stack.dagster.steer(connection.id, sleep=60)
    job_id = _start_sync(stack, owner, connection)
    run_id = load_job(job_id).dagster_run_id
    assert run_id is not None
    port = int(stack.dagster.url.rsplit(":", 1)[1])
    DagsterGraphQLClient("127.0.0.1", port_number=port).terminate_run(run_id)

    failed = wait_for_status(job_id, JobStatus.FAILED)
    assert failed.error_message is not None
    assert failed.error_message.startswith("Dagster run was canceled")
    assert len(runs_tagged(stack, JOB_ID_TAG, str(job_id))) == 1


def test_run_stuck_in_starting_is_failed_after_the_maximum_runtime(
    stack: DispatchStack, owner: Owner
) -> None:
    instance = dagster_instance(stack)
    try:
        run_id = add_dagster_run(instance, DagsterRunStatus.STARTING)
    finally:
        instance.dispose()
    max_runtime = get_settings().job_max_runtime_seconds
    [young] = add_running_jobs(owner.user, [run_id], started_ago=5)
    reconcile()
    assert load_job(young).status is JobStatus.RUNNING  # STARTING is not an outcome

    [old] = add_running_jobs(owner.user, [run_id], started_ago=max_runtime + 60)
    report = reconcile()
    assert report.timed_out == 1
    job = load_job(old)
    assert job.status is JobStatus.FAILED
    assert job.error_message == (
        "Sync ran longer than the maximum of 30 min; its Dagster run was stopped"
    )


def _sever_every_connection() -> int:
    """Terminate every backend of the test database but our own, as a restart would."""
    database = make_url(TEST_DATABASE_URL).database
    with get_engine().connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar_one()
        conn.commit()
    return int(killed)


def test_postgres_connections_severed_under_a_running_sync(
    stack: DispatchStack, owner: Owner, connection: Connection
) -> None:
    stack.dagster.steer(connection.id, sleep=4)
    job_id = _start_sync(stack, owner, connection)
    assert _sever_every_connection() > 0

    done = wait_for_status(job_id, JobStatus.COMPLETED)
    assert done.completed_at is not None
    assert len(runs_tagged(stack, JOB_ID_TAG, str(job_id))) == 1
    with stack.api.client(headers=owner.headers) as api:
        answer = api.get(f"/api/jobs/{job_id}")
    assert answer.status_code == 200
    assert answer.json()["status"] == "completed"
