"""The jobs API contract: statuses, JSON, ownership, validation (in-process, rolled back)."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.connections.models import Connection
from app.db import utcnow
from app.enums import ConnectionStatus, EntityType, JobStatus, JobType
from app.jobs import repository
from app.jobs.models import Job
from app.users.models import User
from tests.conftest import auth_headers_for

JOB_KEYS = {
    "id",
    "job_type",
    "status",
    "user_id",
    "entity_type",
    "entity_id",
    "dagster_run_id",
    "dagster_run_url",
    "error_message",
    "attempts",
    "created_at",
    "updated_at",
    "started_at",
    "completed_at",
}


def add_connection(
    session: Session, user: User, status: ConnectionStatus = ConnectionStatus.ACTIVE
) -> Connection:
    connection = Connection(
        user_id=user.id,
        institution_id="SANDBOXFINANCE_SFIN0000",
        institution_name="Sandbox Finance",
        reference=secrets.token_urlsafe(16),
        status=status,
    )
    session.add(connection)
    # Committed (to the test's savepoint): a request that fails rolls back only its own work.
    session.commit()
    return connection


def add_job(
    session: Session,
    user: User,
    *,
    entity_id: uuid.UUID | None = None,
    status: JobStatus = JobStatus.PENDING,
    job_type: JobType = JobType.SYNC,
    age_seconds: float = 0,
    run_id: str | None = None,
) -> Job:
    job, _ = repository.create_job(
        session, user.id, job_type, EntityType.CONNECTION, entity_id or uuid.uuid4()
    )
    if status is not JobStatus.PENDING:
        repository.update_job_status(
            session, job.id, JobStatus.RUNNING, dagster_run_id=run_id or "run-" + job.id.hex
        )
    if status.is_terminal:
        repository.update_job_status(session, job.id, status, error_message="x")
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(created_at=utcnow() - timedelta(seconds=age_seconds))
    )
    session.commit()
    session.refresh(job)
    return job


# -- POST /api/connections/{id}/sync --------------------------------------------------------------


def test_post_sync_creates_a_pending_job(
    client: TestClient, db_session: Session, user: User, auth_headers: dict[str, str]
) -> None:
    connection = add_connection(db_session, user)
    answer = client.post(f"/api/connections/{connection.id}/sync", headers=auth_headers)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert set(job) == JOB_KEYS
    assert job["status"] == "pending"
    assert job["job_type"] == "sync"
    assert job["user_id"] == str(user.id)
    assert job["entity_type"] == "connection"
    assert job["entity_id"] == str(connection.id)
    assert job["dagster_run_id"] is None
    assert job["dagster_run_url"] is None
    assert job["attempts"] == 0
    assert job["started_at"] is None and job["completed_at"] is None


def test_post_sync_again_returns_the_active_job_with_200(
    client: TestClient, db_session: Session, user: User, auth_headers: dict[str, str]
) -> None:
    connection = add_connection(db_session, user)
    first = client.post(f"/api/connections/{connection.id}/sync", headers=auth_headers)
    second = client.post(f"/api/connections/{connection.id}/sync", headers=auth_headers)
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["id"] == first.json()["id"]


def test_post_sync_after_the_last_job_finished_makes_a_new_one(
    client: TestClient, db_session: Session, user: User, auth_headers: dict[str, str]
) -> None:
    connection = add_connection(db_session, user)
    old = add_job(db_session, user, entity_id=connection.id, status=JobStatus.COMPLETED)
    answer = client.post(f"/api/connections/{connection.id}/sync", headers=auth_headers)
    assert answer.status_code == 202
    assert answer.json()["id"] != str(old.id)


@pytest.mark.parametrize(
    "status", [ConnectionStatus.PENDING, ConnectionStatus.EXPIRED, ConnectionStatus.FAILED]
)
def test_post_sync_on_an_inactive_connection_is_409(
    client: TestClient,
    db_session: Session,
    user: User,
    auth_headers: dict[str, str],
    status: ConnectionStatus,
) -> None:
    connection = add_connection(db_session, user, status)
    answer = client.post(f"/api/connections/{connection.id}/sync", headers=auth_headers)
    assert answer.status_code == 409
    assert answer.json() == {"detail": f"Connection is {status}; reconnect the bank first"}


def test_post_sync_on_a_missing_or_foreign_connection_is_404(
    client: TestClient,
    db_session: Session,
    user: User,
    other_user: User,
    auth_headers: dict[str, str],
) -> None:
    theirs = add_connection(db_session, other_user)
    for connection_id in (theirs.id, uuid.uuid4()):
        answer = client.post(f"/api/connections/{connection_id}/sync", headers=auth_headers)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Connection not found"}
    assert repository.get_jobs_by_user(db_session, other_user.id) == []


def test_post_sync_needs_a_login_and_a_uuid(
    client: TestClient, db_session: Session, user: User, auth_headers: dict[str, str]
) -> None:
    connection = add_connection(db_session, user)
    assert client.post(f"/api/connections/{connection.id}/sync").status_code == 401
    answer = client.post("/api/connections/not-a-uuid/sync", headers=auth_headers)
    assert answer.status_code == 422
    assert "connection_id" in answer.json()["detail"]


# -- GET /api/jobs/{id} ------------------------------------------------------------------------


def test_get_job_returns_every_column(
    client: TestClient, db_session: Session, user: User, auth_headers: dict[str, str]
) -> None:
    job = add_job(db_session, user, status=JobStatus.FAILED, run_id="abc-123")
    answer = client.get(f"/api/jobs/{job.id}", headers=auth_headers)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == JOB_KEYS
    assert body["status"] == "failed"
    assert body["error_message"] == "x"
    assert body["dagster_run_id"] == "abc-123"
    assert body["dagster_run_url"].endswith("/runs/abc-123")
    assert body["started_at"] and body["completed_at"]


def test_dagster_run_url_uses_the_public_url(
    client: TestClient,
    db_session: Session,
    user: User,
    auth_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("DAGSTER_PUBLIC_URL", "https://dagster.example.com/")
    get_settings.cache_clear()
    try:
        job = add_job(db_session, user, status=JobStatus.COMPLETED, run_id="r1")
        body = client.get(f"/api/jobs/{job.id}", headers=auth_headers).json()
    finally:
        monkeypatch.delenv("DAGSTER_PUBLIC_URL")
        get_settings.cache_clear()
    assert body["dagster_run_url"] == "https://dagster.example.com/runs/r1"


def test_others_jobs_are_404(
    client: TestClient, db_session: Session, user: User, other_user: User
) -> None:
    theirs = add_job(db_session, other_user)
    answer = client.get(f"/api/jobs/{theirs.id}", headers=auth_headers_for(user))
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Job not found"}
    assert client.get(f"/api/jobs/{uuid.uuid4()}", headers=auth_headers_for(user)).status_code == (
        404
    )
    assert client.get(f"/api/jobs/{theirs.id}").status_code == 401


# -- GET /api/jobs -----------------------------------------------------------------------------


def test_list_jobs_newest_first_with_filters(
    client: TestClient,
    db_session: Session,
    user: User,
    other_user: User,
    auth_headers: dict[str, str],
) -> None:
    connection = uuid.uuid4()
    oldest = add_job(
        db_session, user, entity_id=connection, status=JobStatus.FAILED, age_seconds=30
    )
    older = add_job(
        db_session, user, entity_id=connection, status=JobStatus.COMPLETED, age_seconds=20
    )
    newest = add_job(db_session, user, entity_id=connection, age_seconds=10)
    elsewhere = add_job(db_session, user, status=JobStatus.RUNNING, age_seconds=5)
    export = add_job(db_session, user, job_type=JobType.EXPORT, age_seconds=1)
    add_job(db_session, other_user)

    def ids(**params: object) -> list[str]:
        answer = client.get("/api/jobs", params=params, headers=auth_headers)
        assert answer.status_code == 200, answer.text
        return [job["id"] for job in answer.json()["jobs"]]

    everything = [export, elsewhere, newest, older, oldest]
    assert ids() == [str(job.id) for job in everything]
    assert ids(entity_type="connection", entity_id=str(connection)) == [
        str(newest.id),
        str(older.id),
        str(oldest.id),
    ]
    assert ids(entity_id=str(connection), limit=1) == [str(newest.id)]
    assert ids(status="completed") == [str(older.id)]
    assert ids(job_type="export") == [str(export.id)]
    assert ids(job_type="sync", status="running") == [str(elsewhere.id)]
    assert ids(entity_type="account") == []


def test_list_jobs_limit_defaults_to_20(
    client: TestClient, db_session: Session, user: User, auth_headers: dict[str, str]
) -> None:
    for age in range(25):
        add_job(db_session, user, status=JobStatus.COMPLETED, age_seconds=age)
    answer = client.get("/api/jobs", headers=auth_headers)
    assert len(answer.json()["jobs"]) == 20
    assert len(client.get("/api/jobs?limit=100", headers=auth_headers).json()["jobs"]) == 25


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=many", "limit"),
        ("status=done", "status"),
        ("job_type=backup", "job_type"),
        ("entity_type=bank", "entity_type"),
        ("entity_id=not-a-uuid", "entity_id"),
    ],
)
def test_list_jobs_rejects_bad_values_with_422(
    client: TestClient, auth_headers: dict[str, str], query: str, field: str
) -> None:
    answer = client.get(f"/api/jobs?{query}", headers=auth_headers)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith("Invalid request: ")
    assert field in detail


def test_list_jobs_needs_a_login(client: TestClient) -> None:
    assert client.get("/api/jobs").status_code == 401
