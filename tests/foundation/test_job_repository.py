"""Job operations: the status flow, its timestamps, and the one-active-job rule."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import product

import pytest
from sqlalchemy.orm import Session

from app.db import session_scope
from app.enums import EntityType, JobStatus, JobType
from app.jobs import repository
from app.jobs.errors import InvalidJobTransition, JobNotFound
from app.jobs.models import Job
from app.users.models import User
from tests.conftest import make_user

LEGAL = {
    (JobStatus.PENDING, JobStatus.RUNNING),
    (JobStatus.PENDING, JobStatus.FAILED),
    (JobStatus.RUNNING, JobStatus.COMPLETED),
    (JobStatus.RUNNING, JobStatus.FAILED),
}
ILLEGAL = sorted(set(product(JobStatus, JobStatus)) - LEGAL)


def _job_in(session: Session, user: User, status: JobStatus) -> Job:
    job, created = repository.create_job(
        session, user.id, JobType.SYNC, EntityType.CONNECTION, uuid.uuid4()
    )
    assert created
    if status in (JobStatus.RUNNING, JobStatus.COMPLETED):
        repository.update_job_status(session, job.id, JobStatus.RUNNING, dagster_run_id="run-1")
    if status is JobStatus.COMPLETED:
        repository.update_job_status(session, job.id, JobStatus.COMPLETED)
    if status is JobStatus.FAILED:
        repository.update_job_status(session, job.id, JobStatus.FAILED, error_message="boom")
    assert job.status is status
    return job


def test_create_job_is_pending_with_created_at(db_session: Session, user: User) -> None:
    entity_id = uuid.uuid4()
    job, created = repository.create_job(
        db_session, user.id, JobType.SYNC, EntityType.CONNECTION, entity_id
    )
    assert created
    assert job.status is JobStatus.PENDING
    assert (job.job_type, job.entity_type, job.entity_id) == ("sync", "connection", entity_id)
    assert job.created_at is not None
    assert job.started_at is None and job.completed_at is None and job.attempts == 0


def test_create_job_returns_the_active_job_instead_of_a_second(
    db_session: Session, user: User
) -> None:
    entity_id = uuid.uuid4()
    first, _ = repository.create_job(
        db_session, user.id, JobType.SYNC, EntityType.CONNECTION, entity_id
    )
    again, created = repository.create_job(
        db_session, user.id, JobType.SYNC, EntityType.CONNECTION, entity_id
    )
    assert not created and again.id == first.id
    export, created = repository.create_job(
        db_session, user.id, JobType.EXPORT, EntityType.CONNECTION, entity_id
    )
    assert created and export.id != first.id


def test_a_finished_job_does_not_block_the_next(db_session: Session, user: User) -> None:
    job = _job_in(db_session, user, JobStatus.FAILED)
    assert job.entity_id is not None
    nxt, created = repository.create_job(
        db_session, user.id, JobType.SYNC, EntityType.CONNECTION, job.entity_id
    )
    assert created and nxt.id != job.id


@pytest.mark.parametrize(("source", "target"), sorted(LEGAL))
def test_legal_transitions(
    db_session: Session, user: User, source: JobStatus, target: JobStatus
) -> None:
    job = _job_in(db_session, user, source)
    updated = repository.update_job_status(
        db_session, job.id, target, dagster_run_id="run-2", error_message="why"
    )
    assert updated.status is target
    assert updated.dagster_run_id == "run-2"
    assert updated.error_message == "why"
    if target is JobStatus.RUNNING:
        assert updated.started_at is not None and updated.completed_at is None
    else:
        assert updated.completed_at is not None
        assert updated.started_at is None or updated.started_at <= updated.completed_at


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_illegal_transitions_raise_and_change_nothing(
    db_session: Session, user: User, source: JobStatus, target: JobStatus
) -> None:
    job = _job_in(db_session, user, source)
    before = (job.status, job.dagster_run_id, job.error_message, job.completed_at)
    with pytest.raises(InvalidJobTransition) as raised:
        repository.update_job_status(db_session, job.id, target, error_message="overwrite")
    assert raised.value.current is source and raised.value.requested is target
    db_session.refresh(job)
    assert (job.status, job.dagster_run_id, job.error_message, job.completed_at) == before


def test_update_of_a_missing_job_raises_not_found(db_session: Session) -> None:
    with pytest.raises(JobNotFound):
        repository.update_job_status(db_session, uuid.uuid4(), JobStatus.RUNNING)


def test_latest_job_for_entity_and_jobs_by_user(db_session: Session, user: User) -> None:
    other = make_user(db_session)
    entity_id = uuid.uuid4()
    older = _job_in(db_session, user, JobStatus.COMPLETED)
    older.entity_id = entity_id
    db_session.flush()
    newer, _ = repository.create_job(
        db_session, user.id, JobType.SYNC, EntityType.CONNECTION, entity_id
    )
    repository.create_job(db_session, other.id, JobType.SYNC, EntityType.CONNECTION, uuid.uuid4())

    latest = repository.get_latest_job_for_entity(db_session, EntityType.CONNECTION, entity_id)
    assert latest is not None and latest.id == newer.id
    jobs = repository.get_jobs_by_user(db_session, user.id)
    assert [job.id for job in jobs] == [newer.id, older.id]
    assert repository.get_jobs_by_user(db_session, user.id, JobType.EXPORT) == []
    assert len(repository.get_jobs_by_user(db_session, user.id, limit=1)) == 1


def test_racing_transitions_have_exactly_one_winner(committed_db: None) -> None:
    """Two processes finishing the same running job: one wins, the other is told why."""
    with session_scope() as session:
        user = make_user(session)
        job, _ = repository.create_job(
            session, user.id, JobType.SYNC, EntityType.CONNECTION, uuid.uuid4()
        )
        repository.update_job_status(session, job.id, JobStatus.RUNNING, dagster_run_id="r")

    def finish(target: JobStatus) -> JobStatus | None:
        try:
            with session_scope() as session:
                return repository.update_job_status(session, job.id, target).status
        except InvalidJobTransition:
            return None

    targets = [JobStatus.COMPLETED, JobStatus.FAILED] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(finish, targets))
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    with session_scope() as session:
        assert session.get_one(Job, job.id).status is winners[0]


def test_racing_creates_make_one_job(committed_db: None) -> None:
    with session_scope() as session:
        user_id = make_user(session).id
    entity_id = uuid.uuid4()

    def create(_: int) -> tuple[uuid.UUID, bool]:
        with session_scope() as session:
            job, created = repository.create_job(
                session, user_id, JobType.SYNC, EntityType.CONNECTION, entity_id
            )
            return job.id, created

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(24)))
    assert len({job_id for job_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
