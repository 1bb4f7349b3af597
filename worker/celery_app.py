"""The Celery application: Redis broker, dispatch and reconcile queues, beat schedule.

Run it with ``celery -A worker.celery_app worker`` and ``celery -A worker.celery_app beat``
(see the Procfile). Task bodies live in ``app/<domain>/tasks.py``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Queue

from app.config import Settings, get_settings

DISPATCH_TASK = "jobs.dispatch"
RECONCILE_TASK = "jobs.reconcile"
CHECK_PENDING_CONNECTIONS_TASK = "connections.check_pending"
DISPATCH_QUEUE = "dispatch"
RECONCILE_QUEUE = "reconcile"

TASK_MODULES = ["app.jobs.tasks", "app.connections.tasks"]

# Redis redelivers a message nobody acknowledged within this time. It must exceed the
# longest retry countdown (the worker holds a retried task unacknowledged until it is due),
# or a delayed retry would run twice.
MIN_VISIBILITY_TIMEOUT_SECONDS = 3600


def visibility_timeout_seconds(settings: Settings) -> int:
    return int(max(MIN_VISIBILITY_TIMEOUT_SECONDS, 4 * settings.dispatch_backoff_max_seconds))


def celery_config(settings: Settings) -> dict[str, Any]:
    transport_options: dict[str, Any] = {
        "visibility_timeout": visibility_timeout_seconds(settings),
        # A publish to a Redis that stopped answering fails instead of hanging.
        "socket_connect_timeout": settings.enqueue_timeout_seconds,
        "socket_timeout": max(10.0, settings.enqueue_timeout_seconds),
    }
    if settings.redis_key_prefix:
        transport_options["global_keyprefix"] = settings.redis_key_prefix
    return {
        "broker_url": settings.redis_url,
        "broker_transport_options": transport_options,
        "broker_connection_timeout": settings.enqueue_timeout_seconds,
        "broker_connection_retry_on_startup": True,
        # Flower and the task ids (= job ids) tell what happened; no result backend needed.
        "task_ignore_result": True,
        # A task is acknowledged after it ran, and handed back to the queue if the process
        # running it dies: a dispatch is never lost (and is idempotent, so never doubled).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": [Queue(DISPATCH_QUEUE), Queue(RECONCILE_QUEUE)],
        "task_default_queue": DISPATCH_QUEUE,
        "task_routes": {
            DISPATCH_TASK: {"queue": DISPATCH_QUEUE},
            RECONCILE_TASK: {"queue": RECONCILE_QUEUE},
            CHECK_PENDING_CONNECTIONS_TASK: {"queue": RECONCILE_QUEUE},
        },
        # Events for Flower: sent by the worker, and "sent" events by publishers.
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_track_started": True,
        "beat_schedule": {
            "reconcile-jobs": {
                "task": RECONCILE_TASK,
                "schedule": settings.reconcile_interval_seconds,
                # A reconcile that could not run in its own interval is dropped: the next one
                # covers the same ground.
                "options": {"expires": settings.reconcile_interval_seconds},
            },
            # Bank links left pending (e.g. UA at the bank) are asked about again.
            "check-pending-connections": {
                "task": CHECK_PENDING_CONNECTIONS_TASK,
                "schedule": settings.connections_pending_check_seconds,
                "options": {"expires": settings.connections_pending_check_seconds},
            },
        },
        "timezone": "UTC",
        "enable_utc": True,
    }


def create_celery_app(settings: Settings | None = None) -> Celery:
    app = Celery("bankjobs", include=TASK_MODULES)
    app.conf.update(celery_config(settings or get_settings()))
    return app


celery_app = create_celery_app()
