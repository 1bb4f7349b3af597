from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, computed_field

from app.config import get_settings
from app.enums import JobStatus, JobType


def dagster_run_url(run_id: str) -> str:
    """The run's page in the Dagster UI, as browsers reach it."""
    settings = get_settings()
    base = (settings.dagster_public_url or settings.dagster_url).rstrip("/")
    return f"{base}/runs/{run_id}"


class JobResponse(BaseModel):
    """Every column of a job, plus a link to its Dagster run when it has one."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    job_type: JobType
    status: JobStatus
    user_id: uuid.UUID
    entity_type: str | None
    entity_id: uuid.UUID | None
    dagster_run_id: str | None
    error_message: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dagster_run_url(self) -> str | None:
        return dagster_run_url(self.dagster_run_id) if self.dagster_run_id else None


class JobListResponse(BaseModel):
    jobs: list[JobResponse]
