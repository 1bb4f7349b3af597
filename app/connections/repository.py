"""All SQL on the ``connections`` table."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.connections.models import Connection


def get_connection(session: Session, connection_id: uuid.UUID) -> Connection | None:
    return session.get(Connection, connection_id)


def get_connection_for_user(
    session: Session, connection_id: uuid.UUID, user_id: uuid.UUID
) -> Connection | None:
    """The connection if it exists and belongs to ``user_id``; others' look missing."""
    return session.execute(
        select(Connection).where(Connection.id == connection_id, Connection.user_id == user_id)
    ).scalar_one_or_none()
