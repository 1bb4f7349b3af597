"""GET /api/jobs/{id} asks Dagster about a running job (PRD option B), briefly."""

from __future__ import annotations

import uuid

from dagster import DagsterRunStatus
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.enums import EntityType, JobStatus, JobType
from app.jobs import repository
from app.jobs.models import Job
from app.users.models import User
from tests.dispatch.conftest import DispatchStack, add_dagster_run, dagster_instance


def running_job(session: Session, user: User, run_id: str) -> Job:
    job, _ = repository.create_job(
        session, user.id, JobType.SYNC, EntityType.CONNECTION, uuid.uuid4()
    )
    repository.update_job_status(session, job.id, JobStatus.RUNNING, dagster_run_id=run_id)
    session.commit()
    return job


def test_get_finishes_a_running_job_whose_run_succeeded(
    stack: DispatchStack,
    client: TestClient,
    db_session: Session,
    user: User,
    auth_headers: dict[str, str],
) -> None:
    instance = dagster_instance(stack)
    try:
        succeeded = add_dagster_run(instance, DagsterRunStatus.SUCCESS)
        failed = add_dagster_run(instance, DagsterRunStatus.FAILURE, failure="Bank is down")
        still = add_dagster_run(instance, DagsterRunStatus.NOT_STARTED)
    finally:
        instance.dispose()
    jobs = {run: running_job(db_session, user, run) for run in (succeeded, failed, still)}

    body = client.get(f"/api/jobs/{jobs[succeeded].id}", headers=auth_headers).json()
    assert body["status"] == "completed"
    assert body["completed_at"] is not None

    body = client.get(f"/api/jobs/{jobs[failed].id}", headers=auth_headers).json()
    assert body["status"] == "failed"
    assert body["error_message"] == "Dagster run failed: Bank is down"

    body = client.get(f"/api/jobs/{jobs[still].id}", headers=auth_headers).json()
    assert body["status"] == "running"


def test_get_answers_normally_when_dagster_is_down(
    stack: DispatchStack,
    client: TestClient,
    db_session: Session,
    user: User,
    auth_headers: dict[str, str],
) -> None:
    job = running_job(db_session, user, str(uuid.uuid4()))
    stack.proxy.down()
    try:
        answer = client.get(f"/api/jobs/{job.id}", headers=auth_headers)
    finally:
        stack.proxy.up()
    assert answer.status_code == 200
    assert answer.json()["status"] == "running"
    # A run Dagster does not know is left to the reconciler (which fails it as vanished).
    assert client.get(f"/api/jobs/{job.id}", headers=auth_headers).json()["status"] == "running"
