"""Celery tasks of the jobs domain: ``jobs.dispatch`` and ``jobs.reconcile``.

Each task is the edge of its unit of work: it opens the session, calls the service, and
commits (the service only flushes).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from celery import Task

from app.config import Settings, get_settings
from app.db import session_scope
from app.jobs import service
from app.jobs.service import DispatchOutcome, ReconcileReport
from app.providers.dagster import get_dagster_client
from worker.celery_app import DISPATCH_TASK, RECONCILE_TASK, celery_app

logger = logging.getLogger(__name__)


@celery_app.task(name=DISPATCH_TASK, bind=True, max_retries=None)
def dispatch_job(self: Task[[str], str], job_id: str) -> str:
    """Launch the Dagster run of pending job ``job_id`` (the Celery task id is the job id)."""
    try:
        parsed = uuid.UUID(job_id)
    except ValueError:
        logger.error("dispatch: %r is not a job id", job_id)
        return DispatchOutcome.SKIPPED.value
    with session_scope() as session:
        result = service.dispatch_job(session, parsed)
    if result.outcome is DispatchOutcome.RETRY:
        raise self.retry(countdown=result.retry_in_seconds, max_retries=None, exc=None)
    return result.outcome.value


def reconcile(settings: Settings | None = None) -> ReconcileReport:
    """One reconcile pass: every running job in batches (a transaction each), then the sweep."""
    settings = settings or get_settings()
    client = get_dagster_client(settings)
    report = ReconcileReport()
    after_id: uuid.UUID | None = None
    while True:
        with session_scope() as session:
            batch = service.reconcile_running_batch(
                session, report, after_id=after_id, settings=settings, client=client
            )
        if batch.size < settings.reconcile_batch_size or batch.last_id is None:
            break
        after_id = batch.last_id
    with session_scope() as session:
        service.sweep_stale_pending(session, report, settings=settings)
    return report


@celery_app.task(name=RECONCILE_TASK)
def reconcile_jobs() -> dict[str, Any]:
    """Check running jobs against Dagster in batches and re-dispatch stale pending jobs."""
    summary = reconcile().as_dict()
    if any(value for key, value in summary.items() if key != "checked"):
        logger.info("reconcile: %s", summary)
    return summary
