"""Celery tasks of the connections domain: ``connections.check_pending`` (beat)."""

from __future__ import annotations

import logging

from app.config import get_settings
from app.connections import service
from app.connections.bank import get_bank_client
from app.db import session_scope
from worker.celery_app import CHECK_PENDING_CONNECTIONS_TASK, celery_app

logger = logging.getLogger(__name__)


@celery_app.task(name=CHECK_PENDING_CONNECTIONS_TASK)
def check_pending_connections() -> dict[str, int]:
    """Ask the bank again about links still pending (e.g. UA) and settle those that moved on."""
    with session_scope() as session:
        counts = service.check_pending_connections(session, get_bank_client(), get_settings())
    if any(counts.values()):
        logger.info("pending connections: %s", counts)
    return counts
