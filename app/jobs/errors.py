from __future__ import annotations

import uuid

from app.enums import JobStatus
from app.errors import ConflictError, NotFoundError


class JobNotFound(NotFoundError):
    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__("Job not found")
        self.job_id = job_id


class InvalidJobTransition(ConflictError):
    """A status change the flow pending -> running -> completed | failed does not allow."""

    def __init__(self, job_id: uuid.UUID, current: JobStatus, requested: JobStatus) -> None:
        super().__init__(f"Job {job_id} cannot move from {current} to {requested}")
        self.job_id = job_id
        self.current = current
        self.requested = requested
