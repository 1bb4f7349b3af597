"""Job rules: triggering a connection sync, dispatching it to Dagster, reconciling runs.

The flow (see docs/architecture.md): the API inserts a pending job and enqueues ``jobs.dispatch``
after commit; the dispatcher launches one Dagster run per job, tagged with the job id; the
reconciler (beat) moves running jobs to completed / failed from Dagster's run status, and
re-dispatches pending jobs that were lost on the way.

Functions here flush; the caller (request, task) commits.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.connections.models import Connection
from app.db import call_after_commit, utcnow
from app.enums import ConnectionStatus, EntityType, JobStatus, JobType
from app.errors import ConflictError
from app.jobs import repository
from app.jobs.enqueue import enqueue_dispatch
from app.jobs.models import Job
from app.providers.dagster import (
    CANCELED,
    DagsterClient,
    DagsterError,
    DagsterUnavailable,
    RunInfo,
    get_dagster_client,
)

logger = logging.getLogger(__name__)

SYNC_JOB_NAME = "gocardless_connection_sync_job"
JOB_ID_TAG = "bankjobs/job_id"
CONNECTION_ID_TAG = "bankjobs/connection_id"
# Dagster's run monitoring fails a run that runs longer than this many seconds.
MAX_RUNTIME_TAG = "dagster/max_runtime"


class ConnectionNotActive(ConflictError):
    def __init__(self, status: ConnectionStatus) -> None:
        super().__init__(f"Connection is {status}; reconnect the bank first")
        self.status = status


# -- triggering --------------------------------------------------------------------------------


def trigger_connection_sync(session: Session, connection: Connection) -> tuple[Job, bool]:
    """Create the connection's sync job, or return the one already pending or running.

    Returns ``(job, created)``. A new job is enqueued for dispatch once the caller's
    transaction commits; if Redis is down then, the job stays pending and the reconciler's
    sweep dispatches it later. Raises :class:`ConnectionNotActive` (409) unless the
    connection is active.
    """
    if connection.status is not ConnectionStatus.ACTIVE:
        raise ConnectionNotActive(connection.status)
    job, created = repository.create_job(
        session,
        user_id=connection.user_id,
        job_type=JobType.SYNC,
        entity_type=EntityType.CONNECTION,
        entity_id=connection.id,
    )
    if created:
        call_after_commit(session, partial(enqueue_dispatch, job.id))
    return job, created


def sync_run_config(connection_id: uuid.UUID) -> dict[str, Any]:
    """Run config of ``gocardless_connection_sync_job`` scoped to one connection."""
    return {"resources": {"sync_scope": {"config": {"connection_id": str(connection_id)}}}}


def sync_run_tags(job: Job, settings: Settings) -> dict[str, str]:
    tags = {
        JOB_ID_TAG: str(job.id),
        MAX_RUNTIME_TAG: str(int(settings.job_max_runtime_seconds)),
    }
    if job.entity_id is not None:
        tags[CONNECTION_ID_TAG] = str(job.entity_id)
    return tags


# -- reading -----------------------------------------------------------------------------------


def get_job_for_user(
    session: Session,
    job_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    live: bool = True,
    settings: Settings | None = None,
) -> Job:
    """The user's job (others' answer 404). A running job is first checked against Dagster.

    The live check (PRD option B) is bounded by ``dagster_live_check_timeout_seconds`` and
    skipped when the reconciler holds the row; when Dagster is down the job is returned as
    stored.
    """
    job = repository.get_job_for_user(session, job_id, user_id)
    if live and job.status is JobStatus.RUNNING and job.dagster_run_id:
        settings = settings or get_settings()
        client = get_dagster_client(
            settings, timeout_seconds=settings.dagster_live_check_timeout_seconds
        )
        refresh_running_job(session, job.id, client)
        session.refresh(job)
    return job


def refresh_running_job(session: Session, job_id: uuid.UUID, client: DagsterClient) -> Job | None:
    """Finish one running job if its Dagster run has finished; ``None`` if nothing changed."""
    job = repository.lock_running_job(session, job_id)
    if job is None or job.dagster_run_id is None:
        return None
    try:
        run = client.get_run_status(job.dagster_run_id)
    except DagsterError as exc:
        logger.info("live check of job %s skipped: %s", job_id, exc.message)
        return None
    if run is None or not run.is_finished:
        return None
    status, message = finished_run_outcome(run)
    repository.finish_running_jobs(session, {job.id: (status, message)})
    return job


def finished_run_outcome(run: RunInfo) -> tuple[JobStatus, str | None]:
    """The job status and error message for a run that finished."""
    if run.succeeded:
        return JobStatus.COMPLETED, None
    if run.status == CANCELED:
        reason = f": {run.failure_message}" if run.failure_message else ""
        return JobStatus.FAILED, f"Dagster run was canceled{reason}"
    if run.failure_message and run.failed_step:
        # A step's failure is the sync's own words for the user ("Rate limit reached; ...");
        # the step itself is in the run, one click away through dagster_run_url.
        return JobStatus.FAILED, run.failure_message
    if run.failure_message:
        return JobStatus.FAILED, f"Dagster run failed: {run.failure_message}"
    return JobStatus.FAILED, "Dagster run failed (Dagster gave no reason; see the run's logs)"


# -- dispatch ----------------------------------------------------------------------------------


class DispatchOutcome(StrEnum):
    SKIPPED = "skipped"  # missing, no longer pending, or another delivery holds it
    LAUNCHED = "launched"
    ADOPTED = "adopted"  # a run tagged with this job already existed
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DispatchResult:
    outcome: DispatchOutcome
    run_id: str | None = None
    retry_in_seconds: float | None = None
    error: str | None = None


def retry_delay_seconds(attempt: int, settings: Settings) -> float:
    """Exponential backoff with jitter: between half and all of min(max, base * 2**(n-1))."""
    ceiling = min(
        settings.dispatch_backoff_max_seconds,
        settings.dispatch_backoff_base_seconds * float(2 ** max(attempt - 1, 0)),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def dispatch_job(
    session: Session,
    job_id: uuid.UUID,
    *,
    settings: Settings | None = None,
    client: DagsterClient | None = None,
) -> DispatchResult:
    """Launch the Dagster run of a pending job, at most once.

    The job row stays locked while Dagster is asked, so a second delivery of the same
    message skips it; before launching, a run already tagged with the job id (launched by a
    worker that died before recording it) is adopted instead. Dagster unreachable: the
    caller retries after ``retry_in_seconds`` until ``dispatch_max_retries`` retries are
    spent, then the job fails with "Dagster unavailable: ...". A permanent error (invalid
    run config, unknown job) fails the job at once with Dagster's reason.
    """
    settings = settings or get_settings()
    job = repository.lock_pending_job(session, job_id)
    if job is None:
        return DispatchResult(DispatchOutcome.SKIPPED)
    connection_id = job.entity_id
    if (
        job.job_type is not JobType.SYNC
        or job.entity_type != EntityType.CONNECTION
        or connection_id is None
    ):
        return _fail_pending(
            session, job, f"No Dagster job runs {job.job_type} jobs for {job.entity_type}"
        )
    attempt = repository.record_dispatch_attempt(session, job.id)
    client = client or get_dagster_client(settings)
    try:
        existing = client.find_run_by_tag(JOB_ID_TAG, str(job.id))
        if existing is not None:
            run_id, outcome = existing.run_id, DispatchOutcome.ADOPTED
        else:
            run_id = client.trigger_job(
                SYNC_JOB_NAME, sync_run_config(connection_id), sync_run_tags(job, settings)
            )
            outcome = DispatchOutcome.LAUNCHED
    except DagsterUnavailable as exc:
        if attempt > settings.dispatch_max_retries:
            return _fail_pending(session, job, f"Dagster unavailable: {exc.message}")
        delay = retry_delay_seconds(attempt, settings)
        logger.warning(
            "job %s: attempt %d of %d failed, retrying in %.1f s: %s",
            job.id,
            attempt,
            settings.dispatch_max_retries + 1,
            delay,
            exc.message,
        )
        return DispatchResult(DispatchOutcome.RETRY, retry_in_seconds=delay, error=exc.message)
    except DagsterError as exc:
        return _fail_pending(session, job, exc.message)
    repository.update_job_status(session, job.id, JobStatus.RUNNING, dagster_run_id=run_id)
    logger.info("job %s: %s Dagster run %s", job.id, outcome, run_id)
    return DispatchResult(outcome, run_id=run_id)


def _fail_pending(session: Session, job: Job, message: str) -> DispatchResult:
    repository.update_job_status(session, job.id, JobStatus.FAILED, error_message=message)
    logger.warning("job %s failed: %s", job.id, message)
    return DispatchResult(DispatchOutcome.FAILED, error=message)


# -- reconcile ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ReconcileReport:
    checked: int = 0
    completed: int = 0
    failed: int = 0
    vanished: int = 0
    timed_out: int = 0
    redispatched: int = 0
    # Jobs this pass actually moved to completed / failed (another pass may have won a race).
    transitions: int = 0
    dagster_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "completed": self.completed,
            "failed": self.failed,
            "vanished": self.vanished,
            "timed_out": self.timed_out,
            "redispatched": self.redispatched,
            "transitions": self.transitions,
            "dagster_errors": self.dagster_errors,
        }


@dataclass(frozen=True, slots=True)
class BatchResult:
    last_id: uuid.UUID | None
    size: int


def reconcile_running_batch(
    session: Session,
    report: ReconcileReport,
    *,
    after_id: uuid.UUID | None,
    settings: Settings,
    client: DagsterClient,
    now: datetime | None = None,
) -> BatchResult:
    """Check the next batch of running jobs against Dagster with one batched request.

    SUCCESS → completed; FAILURE / CANCELED → failed with Dagster's reason; a run Dagster no
    longer knows, or a job running past ``job_max_runtime_seconds`` (its run is asked to
    stop) → failed with that reason; any other status leaves the job alone. Rows another
    reconciler holds are skipped. When Dagster cannot be asked, the batch is left as it is.
    """
    now = now or utcnow()
    jobs = repository.lock_running_jobs(
        session, after_id=after_id, limit=settings.reconcile_batch_size
    )
    if not jobs:
        return BatchResult(None, 0)
    report.checked += len(jobs)
    run_ids = [job.dagster_run_id for job in jobs if job.dagster_run_id]
    try:
        runs = client.get_run_statuses(run_ids, batch_size=settings.reconcile_batch_size)
    except DagsterError as exc:
        report.dagster_errors.append(exc.message)
        logger.warning("reconcile: cannot read run statuses: %s", exc.message)
        return BatchResult(jobs[-1].id, len(jobs))
    max_runtime = timedelta(seconds=settings.job_max_runtime_seconds)
    outcomes: dict[uuid.UUID, tuple[JobStatus, str | None]] = {}
    to_terminate: list[str] = []
    for job in jobs:
        run = runs.get(job.dagster_run_id) if job.dagster_run_id else None
        if run is not None and run.is_finished:
            outcomes[job.id] = finished_run_outcome(run)
            if outcomes[job.id][0] is JobStatus.COMPLETED:
                report.completed += 1
            else:
                report.failed += 1
        elif run is None:
            outcomes[job.id] = (
                JobStatus.FAILED,
                f"Dagster run {job.dagster_run_id} no longer exists in Dagster"
                if job.dagster_run_id
                else "The job was running without a Dagster run",
            )
            report.vanished += 1
        elif job.started_at is not None and now - job.started_at > max_runtime:
            outcomes[job.id] = (
                JobStatus.FAILED,
                f"Sync ran longer than the maximum of {_duration(max_runtime)}; "
                "its Dagster run was stopped",
            )
            to_terminate.append(run.run_id)
            report.timed_out += 1
    report.transitions += repository.finish_running_jobs(session, outcomes)
    for run_id in to_terminate:
        _terminate_quietly(client, run_id)
    return BatchResult(jobs[-1].id, len(jobs))


def sweep_stale_pending(
    session: Session,
    report: ReconcileReport,
    *,
    settings: Settings,
    enqueue: Callable[[uuid.UUID], object] | None = None,
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """Enqueue dispatch again for pending jobs nobody touched for too long.

    The jobs table is the outbox: a job committed while Redis or the workers were down, or
    whose message was lost, is found here and dispatched once the transaction commits.
    """
    ids = repository.claim_stale_pending_jobs(
        session,
        now=now or utcnow(),
        idle_seconds=settings.pending_redispatch_after_seconds,
        backoff_base_seconds=settings.dispatch_backoff_base_seconds,
        backoff_max_seconds=settings.dispatch_backoff_max_seconds,
        limit=settings.reconcile_batch_size,
    )
    send = enqueue or enqueue_dispatch
    for job_id in ids:
        call_after_commit(session, partial(send, job_id))
    report.redispatched += len(ids)
    if ids:
        logger.info("reconcile: re-dispatching %d stale pending job(s)", len(ids))
    return ids


def _terminate_quietly(client: DagsterClient, run_id: str) -> None:
    try:
        client.terminate_run(run_id)
    except DagsterError as exc:
        logger.warning("could not stop Dagster run %s: %s", run_id, exc.message)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
