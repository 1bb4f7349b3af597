"""Handing a job to the Celery workers, bounded in time."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from app.config import get_settings
from worker.celery_app import DISPATCH_TASK, celery_app

logger = logging.getLogger(__name__)

# Publishing runs on these threads so a Redis that hangs cannot hold the caller (an API
# request) longer than ``enqueue_timeout_seconds``; a publish that outlives the wait still
# finishes or fails on its own, and the reconciler's sweep covers a job that was not sent.
_publishers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="enqueue")

_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.2}


def enqueue_dispatch(job_id: uuid.UUID) -> bool:
    """Enqueue ``jobs.dispatch`` for ``job_id`` (its Celery task id); False if Redis failed."""
    timeout = get_settings().enqueue_timeout_seconds
    future = _publishers.submit(_publish, job_id)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        logger.warning(
            "job %s: Redis did not take the dispatch within %.1f s; the reconciler will",
            job_id,
            timeout,
        )
        return False
    except Exception as exc:  # kombu.exceptions.OperationalError, redis errors, ...
        logger.warning(
            "job %s: could not enqueue the dispatch (%s); the reconciler will", job_id, exc
        )
        return False
    return True


def _publish(job_id: uuid.UUID) -> None:
    celery_app.send_task(
        DISPATCH_TASK,
        args=[str(job_id)],
        task_id=str(job_id),
        retry=True,
        retry_policy=_RETRY_POLICY,
    )
