from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Enum, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.enums import ConnectionStatus

if TYPE_CHECKING:
    from app.accounts.models import Account


class Connection(Base):
    """A link to one bank: a GoCardless requisition and its end-user agreement."""

    __tablename__ = "connections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[str] = mapped_column(String(100))
    institution_name: Mapped[str] = mapped_column(String(255))
    requisition_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    agreement_id: Mapped[str | None] = mapped_column(String(64))
    # Unguessable, single-use: the OAuth-style state the bank hands back as ?ref=.
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ConnectionStatus] = mapped_column(
        Enum(
            ConnectionStatus,
            name="connection_status",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda enum: [member.value for member in enum],
        ),
        default=ConnectionStatus.PENDING,
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the bank hands the reference back: a reference is good for one callback only.
    reference_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a sync (scoped or the daily full one) last brought this connection's data in.
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    accounts: Mapped[list[Account]] = relationship(
        back_populates="connection", order_by="Account.created_at", cascade="all, delete-orphan"
    )
