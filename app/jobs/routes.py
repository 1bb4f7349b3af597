from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi import status as http_status

from app.auth.dependencies import CurrentUser
from app.connections.repository import get_connection_for_user
from app.db import DbSession
from app.enums import EntityType, JobStatus, JobType
from app.errors import NotFoundError
from app.jobs import repository, service
from app.jobs.schemas import JobListResponse, JobResponse

router = APIRouter(tags=["jobs"])

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, malformed or expired token"}
}


@router.post(
    "/api/connections/{connection_id}/sync",
    status_code=http_status.HTTP_202_ACCEPTED,
    responses={
        **_UNAUTHORIZED,
        200: {"model": JobResponse, "description": "A sync of this connection is already queued"},
        404: {"description": "No such connection, or not yours"},
        409: {"description": "The connection is not active; reconnect the bank first"},
    },
)
def sync_connection(
    connection_id: uuid.UUID, session: DbSession, user: CurrentUser, response: Response
) -> JobResponse:
    """Queue a sync of one bank connection; poll ``GET /api/jobs/{id}`` for its progress."""
    connection = get_connection_for_user(session, connection_id, user.id)
    if connection is None:
        raise NotFoundError("Connection not found")
    job, created = service.trigger_connection_sync(session, connection)
    if not created:
        response.status_code = http_status.HTTP_200_OK
    return JobResponse.model_validate(job)


@router.get(
    "/api/jobs/{job_id}",
    responses={**_UNAUTHORIZED, 404: {"description": "No such job, or not yours"}},
)
def get_job(job_id: uuid.UUID, session: DbSession, user: CurrentUser) -> JobResponse:
    """One job; a running job's status is first checked with Dagster (briefly)."""
    return JobResponse.model_validate(service.get_job_for_user(session, job_id, user.id))


@router.get("/api/jobs", responses=_UNAUTHORIZED)
def list_jobs(
    session: DbSession,
    user: CurrentUser,
    entity_type: EntityType | None = None,
    entity_id: uuid.UUID | None = None,
    job_type: JobType | None = None,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JobListResponse:
    """The user's jobs, newest first, optionally filtered."""
    jobs = repository.get_jobs_by_user(
        session,
        user.id,
        job_type=job_type,
        limit=limit,
        entity_type=entity_type,
        entity_id=entity_id,
        status=status,
    )
    return JobListResponse(jobs=[JobResponse.model_validate(job) for job in jobs])
