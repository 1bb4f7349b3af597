"""All SQL on the ``connections`` table."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection as SAConnection
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Account
from app.connections.models import Connection
from app.db import utcnow
from app.enums import ConnectionStatus


def get_connection(session: Session, connection_id: uuid.UUID) -> Connection | None:
    return session.get(Connection, connection_id)


def get_connection_for_user(
    session: Session, connection_id: uuid.UUID, user_id: uuid.UUID
) -> Connection | None:
    """The connection if it exists and belongs to ``user_id``; others' look missing."""
    return session.execute(
        select(Connection).where(Connection.id == connection_id, Connection.user_id == user_id)
    ).scalar_one_or_none()


def create_connection(
    session: Session,
    *,
    user_id: uuid.UUID,
    institution_id: str,
    institution_name: str,
    requisition_id: str,
    agreement_id: str,
    reference: str,
) -> Connection:
    connection = Connection(
        user_id=user_id,
        institution_id=institution_id,
        institution_name=institution_name,
        requisition_id=requisition_id,
        agreement_id=agreement_id,
        reference=reference,
        status=ConnectionStatus.PENDING,
    )
    session.add(connection)
    session.flush()
    return connection


def get_connection_by_reference_for_update(session: Session, reference: str) -> Connection | None:
    """The connection holding ``reference``, locked so one callback at a time can use it."""
    return session.execute(
        select(Connection).where(Connection.reference == reference).with_for_update()
    ).scalar_one_or_none()


def lock_connection(session: Session, connection_id: uuid.UUID) -> Connection | None:
    return session.execute(
        select(Connection).where(Connection.id == connection_id).with_for_update()
    ).scalar_one_or_none()


def list_connections_for_user(session: Session, user_id: uuid.UUID) -> list[Connection]:
    """The user's connections, newest first, with accounts and balances in two more queries."""
    return list(
        session.execute(
            select(Connection)
            .where(Connection.user_id == user_id)
            .options(selectinload(Connection.accounts).selectinload(Account.balances))
            .order_by(Connection.created_at.desc(), Connection.id.desc())
        ).scalars()
    )


def list_connections_with_status(session: Session, status: ConnectionStatus) -> list[Connection]:
    return list(
        session.execute(
            select(Connection)
            .where(Connection.status == status)
            .order_by(Connection.created_at, Connection.id)
        ).scalars()
    )


def claim_pending_connections(
    session: Session, created_after: datetime, limit: int
) -> list[Connection]:
    """Pending connections with a requisition, locked; rows another worker holds are skipped."""
    return list(
        session.execute(
            select(Connection)
            .where(
                Connection.status == ConnectionStatus.PENDING,
                Connection.requisition_id.is_not(None),
                Connection.created_at > created_after,
            )
            .order_by(Connection.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def expire_stale_pending_connections(
    session: Session, created_before: datetime, reason: str
) -> int:
    """Give up links never completed: pending connections older than ``created_before``."""
    return len(
        session.execute(
            update(Connection)
            .where(
                Connection.status == ConnectionStatus.PENDING,
                Connection.created_at <= created_before,
            )
            .values(status=ConnectionStatus.FAILED, status_reason=reason, updated_at=utcnow())
            .returning(Connection.id)
            .execution_options(synchronize_session=False)
        ).all()
    )


def set_connection_status(
    session: Session,
    connection_id: uuid.UUID,
    status: ConnectionStatus,
    reason: str | None,
    *,
    only_if: ConnectionStatus | None = None,
) -> bool:
    """Change a connection's status and reason; with ``only_if``, only from that status."""
    query = update(Connection).where(Connection.id == connection_id)
    if only_if is not None:
        query = query.where(Connection.status == only_if)
    changed = session.execute(
        query.values(status=status, status_reason=reason, updated_at=utcnow())
        .returning(Connection.id)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    return changed is not None


def mark_synced(session: Session, connection_ids: Sequence[uuid.UUID], when: datetime) -> None:
    if not connection_ids:
        return
    session.execute(
        update(Connection)
        .where(Connection.id.in_(connection_ids))
        .values(last_synced_at=when)
        .execution_options(synchronize_session=False)
    )


def try_sync_lock(db: SAConnection, connection_id: uuid.UUID) -> bool:
    """Take the connection's sync lock on ``db`` (session level) if no one else holds it.

    A sync holds it from its first bank call until its data is written, so two runs never
    spend the bank's daily quota twice on one connection.
    """
    return bool(
        db.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": _sync_lock_key(connection_id)}
        ).scalar_one()
    )


def release_sync_lock(db: SAConnection, connection_id: uuid.UUID) -> None:
    db.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _sync_lock_key(connection_id)})


def _sync_lock_key(connection_id: uuid.UUID) -> int:
    return int.from_bytes(connection_id.bytes[:8], "big", signed=True)
