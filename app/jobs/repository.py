"""All SQL on the ``jobs`` table."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.orm import Session

from app.db import utcnow
from app.enums import ACTIVE_JOB_STATUSES, JobStatus, JobType
from app.jobs.errors import InvalidJobTransition, JobNotFound
from app.jobs.models import Job

# The status flow: pending -> running -> completed | failed, and pending -> failed.
ALLOWED_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({JobStatus.COMPLETED, JobStatus.FAILED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
}

_ACTIVE_INDEX_WHERE = Job.status.in_(ACTIVE_JOB_STATUSES)
# The same predicate as SQL text, for ON CONFLICT: PostgreSQL infers the partial index from
# the literal predicate, and bound parameters stop matching once psycopg prepares the
# statement server-side (from its fifth execution on a connection).
_ACTIVE_INDEX_PREDICATE = text(
    "status IN ({})".format(", ".join(f"'{status.value}'" for status in ACTIVE_JOB_STATUSES))
)


def _sources_of(status: JobStatus) -> list[JobStatus]:
    return [source for source, targets in ALLOWED_TRANSITIONS.items() if status in targets]


def create_job(
    session: Session,
    user_id: uuid.UUID,
    job_type: JobType,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
) -> tuple[Job, bool]:
    """Insert a pending job, or return the entity's job that is already pending or running.

    Returns ``(job, created)``. The partial unique index ``uq_jobs_active_per_entity`` makes
    this safe under concurrency: of any number of racing callers, one inserts and the others
    get that row back.
    """
    while True:
        job_id = session.execute(
            insert(Job)
            .values(
                id=uuid.uuid4(),
                job_type=job_type,
                status=JobStatus.PENDING,
                user_id=user_id,
                entity_type=entity_type,
                entity_id=entity_id,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(
                index_elements=[Job.job_type, Job.entity_type, Job.entity_id],
                index_where=_ACTIVE_INDEX_PREDICATE,
            )
            .returning(Job.id)
        ).scalar_one_or_none()
        if job_id is not None:
            return session.get_one(Job, job_id), True
        if entity_id is None:
            raise RuntimeError("a job without an entity cannot conflict")
        existing = get_active_job_for_entity(session, job_type, entity_type, entity_id)
        if existing is not None:
            return existing, False
        # The conflicting job finished between the insert and the lookup: try again.


def get_job(session: Session, job_id: uuid.UUID) -> Job | None:
    return session.get(Job, job_id)


def get_job_for_user(session: Session, job_id: uuid.UUID, user_id: uuid.UUID) -> Job:
    job = session.execute(
        select(Job).where(Job.id == job_id, Job.user_id == user_id)
    ).scalar_one_or_none()
    if job is None:
        raise JobNotFound(job_id)
    return job


def update_job_status(
    session: Session,
    job_id: uuid.UUID,
    status: JobStatus,
    dagster_run_id: str | None = None,
    error_message: str | None = None,
) -> Job:
    """Move a job along the status flow with one conditional UPDATE.

    The row only changes if its current status may move to ``status``; a terminal job never
    changes again. Concurrent callers cannot both win: the loser gets ``InvalidJobTransition``
    naming the status it found. ``started_at`` is set on running, ``completed_at`` on
    completed or failed.
    """
    now = utcnow()
    values: dict[str, object] = {"status": status, "updated_at": now}
    if dagster_run_id is not None:
        values["dagster_run_id"] = dagster_run_id
    if error_message is not None:
        values["error_message"] = error_message
    if status is JobStatus.RUNNING:
        values["started_at"] = now
    if status.is_terminal:
        values["completed_at"] = now
    updated = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(_sources_of(status)))
        .values(**values)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if updated is None:
        current = session.execute(select(Job.status).where(Job.id == job_id)).scalar_one_or_none()
        if current is None:
            raise JobNotFound(job_id)
        raise InvalidJobTransition(job_id, current, status)
    job = session.get_one(Job, job_id)
    session.refresh(job)
    return job


def record_dispatch_attempt(session: Session, job_id: uuid.UUID) -> int:
    """Count one launch attempt on a pending job; returns the new count (0 if not pending)."""
    attempts = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.PENDING)
        .values(attempts=Job.attempts + 1, updated_at=utcnow())
        .returning(Job.attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return attempts or 0


def get_active_job_for_entity(
    session: Session, job_type: JobType, entity_type: str | None, entity_id: uuid.UUID
) -> Job | None:
    return session.execute(
        select(Job).where(
            Job.job_type == job_type,
            Job.entity_type == entity_type,
            Job.entity_id == entity_id,
            _ACTIVE_INDEX_WHERE,
        )
    ).scalar_one_or_none()


def get_latest_job_for_entity(
    session: Session, entity_type: str, entity_id: uuid.UUID, job_type: JobType | None = None
) -> Job | None:
    query = _newest_first(
        select(Job).where(Job.entity_type == entity_type, Job.entity_id == entity_id)
    )
    if job_type is not None:
        query = query.where(Job.job_type == job_type)
    return session.execute(query.limit(1)).scalar_one_or_none()


def get_latest_jobs_for_entities(
    session: Session, entity_type: str, entity_ids: Sequence[uuid.UUID], job_type: JobType
) -> dict[uuid.UUID, Job]:
    """The newest job of ``job_type`` for each entity, in one query."""
    if not entity_ids:
        return {}
    jobs = session.execute(
        select(Job)
        .where(
            Job.entity_type == entity_type,
            Job.entity_id.in_(entity_ids),
            Job.job_type == job_type,
        )
        .ext(distinct_on(Job.entity_id))
        .order_by(Job.entity_id, Job.created_at.desc(), Job.id.desc())
    ).scalars()
    return {job.entity_id: job for job in jobs if job.entity_id is not None}


def get_last_completed_at(
    session: Session, entity_type: str, entity_ids: Sequence[uuid.UUID], job_type: JobType
) -> dict[uuid.UUID, datetime]:
    """When each entity's most recent job of ``job_type`` completed successfully."""
    if not entity_ids:
        return {}
    rows = session.execute(
        select(Job.entity_id, func.max(Job.completed_at))
        .where(
            Job.entity_type == entity_type,
            Job.entity_id.in_(entity_ids),
            Job.job_type == job_type,
            Job.status == JobStatus.COMPLETED,
        )
        .group_by(Job.entity_id)
    ).all()
    return {
        entity_id: completed
        for entity_id, completed in rows
        if entity_id is not None and completed is not None
    }


def get_jobs_by_user(
    session: Session,
    user_id: uuid.UUID,
    job_type: JobType | None = None,
    limit: int = 20,
    *,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
) -> list[Job]:
    filters: list[ColumnElement[bool]] = [Job.user_id == user_id]
    if job_type is not None:
        filters.append(Job.job_type == job_type)
    if entity_type is not None:
        filters.append(Job.entity_type == entity_type)
    if entity_id is not None:
        filters.append(Job.entity_id == entity_id)
    if status is not None:
        filters.append(Job.status == status)
    return list(session.execute(_newest_first(select(Job).where(*filters)).limit(limit)).scalars())


def _newest_first(query: Select[Job]) -> Select[Job]:
    return query.order_by(Job.created_at.desc(), Job.id.desc())


# -- dispatch and reconcile --------------------------------------------------------------------


def lock_pending_job(session: Session, job_id: uuid.UUID) -> Job | None:
    """Lock a pending job for this transaction, or ``None``.

    ``None`` when the job is missing, no longer pending, or locked by another transaction (a
    concurrent delivery of the same dispatch is already handling it).
    """
    return session.execute(
        select(Job)
        .where(Job.id == job_id, Job.status == JobStatus.PENDING)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def lock_running_job(session: Session, job_id: uuid.UUID) -> Job | None:
    """Lock a running job for this transaction unless another transaction holds it."""
    return session.execute(
        select(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def lock_running_jobs(session: Session, *, after_id: uuid.UUID | None, limit: int) -> list[Job]:
    """The next ``limit`` running jobs by id after ``after_id``, locked for this transaction.

    Rows another transaction holds are skipped, so two reconcilers running at once work on
    disjoint jobs; paging by id lets a reconciler walk every running job exactly once.
    """
    # The status is written as a literal so that even a prepared (generic) plan matches the
    # predicate of the partial index idx_jobs_running_id.
    query = select(Job).where(Job.status == literal_column("'running'"))
    if after_id is not None:
        query = query.where(Job.id > after_id)
    return list(
        session.execute(
            query.order_by(Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def claim_stale_pending_jobs(
    session: Session,
    *,
    now: datetime,
    idle_seconds: float,
    backoff_base_seconds: float,
    backoff_max_seconds: float,
    limit: int,
) -> list[uuid.UUID]:
    """Pending jobs nobody has touched for too long; their ``updated_at`` is set to ``now``.

    A job is stale once ``idle_seconds`` have passed beyond the delay its next launch attempt
    may legitimately wait (``min(max, base * 2**(attempts-1))`` after its last attempt), so
    a job waiting out a retry backoff is never taken for a lost one. Claiming touches the
    rows, so the next sweep leaves them alone for another ``idle_seconds``.
    """
    retry_delay = case(
        (Job.attempts == 0, literal(0.0)),
        else_=func.least(
            literal(backoff_max_seconds),
            literal(backoff_base_seconds) * func.power(2.0, Job.attempts - 1),
        ),
    )
    deadline = Job.updated_at + func.make_interval(0, 0, 0, 0, 0, 0, retry_delay + idle_seconds)
    ids = list(
        session.execute(
            select(Job.id)
            .where(Job.status == JobStatus.PENDING, deadline < now)
            .order_by(Job.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.status == JobStatus.PENDING)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def finish_running_jobs(
    session: Session, outcomes: Mapping[uuid.UUID, tuple[JobStatus, str | None]]
) -> int:
    """Move running jobs to completed or failed (with a message), in a few UPDATEs.

    Only rows still running change; returns how many did.
    """
    groups: dict[tuple[JobStatus, str | None], list[uuid.UUID]] = defaultdict(list)
    for job_id, (status, message) in outcomes.items():
        if not status.is_terminal:
            raise ValueError(f"{status} is not a final status")
        groups[(status, message)].append(job_id)
    now = utcnow()
    changed = 0
    for (status, message), job_ids in groups.items():
        values: dict[str, object] = {"status": status, "updated_at": now, "completed_at": now}
        if message is not None:
            values["error_message"] = message
        result = session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.status == JobStatus.RUNNING)
            .values(**values)
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
        changed += len(result.all())
    return changed
