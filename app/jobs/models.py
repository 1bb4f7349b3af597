from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.enums import JobStatus, JobType


def _enum_values(enum: type[JobStatus] | type[JobType]) -> list[str]:
    return [member.value for member in enum]


class Job(Base):
    """A background job (sync, export, ...): pending -> running -> completed | failed."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("idx_jobs_user_status", "user_id", "status"),
        Index("idx_jobs_entity", "entity_type", "entity_id"),
        # At most one pending-or-running job per (job_type, entity): double clicks make one job.
        Index(
            "uq_jobs_active_per_entity",
            "job_type",
            "entity_type",
            "entity_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'running')"),
        ),
        # The reconciler pages through running jobs by id without walking finished history.
        Index("idx_jobs_running_id", "id", postgresql_where=text("status = 'running'")),
        # Finds stale pending jobs and running jobs to reconcile without scanning history.
        Index(
            "idx_jobs_active_created",
            "status",
            "created_at",
            postgresql_where=text("status IN ('pending', 'running')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_type: Mapped[JobType] = mapped_column(
        Enum(
            JobType,
            name="job_type",
            native_enum=False,
            create_constraint=False,
            length=50,
            values_callable=_enum_values,
        )
    )
    status: Mapped[JobStatus] = mapped_column(
        Enum(
            JobStatus,
            name="job_status",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=_enum_values,
        ),
        default=JobStatus.PENDING,
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entity_type: Mapped[str | None] = mapped_column(String(50))
    entity_id: Mapped[uuid.UUID | None] = mapped_column()
    dagster_run_id: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
