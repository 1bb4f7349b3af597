"""The application as the API serves it, plus the benchmark's floor endpoint.

``POST /bench/floor`` does the least a request that writes can do through this stack: one
INSERT into ``jobs`` and the request session's COMMIT, with no authentication and no
enqueue. It exists only in this module; ``uvicorn bench.floor_app:app`` serves it next to
every route of ``app.main.create_app()`` in one process, so both are measured with the same
server settings.

``GET /bench/process`` tells how heavy the API process is for Python's garbage collector:
modules and GC-tracked objects, and how long each full (generation 2) collection took since
the process started (every thread waits while one runs).
"""

from __future__ import annotations

import gc
import sys
import time
import uuid
from typing import Any

from fastapi import FastAPI, status
from sqlalchemy import insert

from app.db import DbSession, utcnow
from app.enums import EntityType, JobStatus, JobType
from app.jobs.models import Job
from app.main import create_app
from bench.seed import FLOOR_USER_ID

FLOOR_PATH = "/bench/floor"
PROCESS_PATH = "/bench/process"

_full_collections_ms: list[float] = []
_collection_started = [0.0]


def _time_full_collections(phase: str, info: dict[str, int]) -> None:
    if info["generation"] != 2:
        return
    if phase == "start":
        _collection_started[0] = time.perf_counter()
    else:
        _full_collections_ms.append((time.perf_counter() - _collection_started[0]) * 1000)


gc.callbacks.append(_time_full_collections)


def create_floor_app() -> FastAPI:
    application = create_app()

    def floor(session: DbSession) -> dict[str, str]:
        now = utcnow()
        job_id = uuid.uuid4()
        session.execute(
            insert(Job).values(
                id=job_id,
                job_type=JobType.SYNC,
                status=JobStatus.COMPLETED,
                user_id=FLOOR_USER_ID,
                entity_type=EntityType.CONNECTION,
                entity_id=uuid.uuid4(),
                created_at=now,
                updated_at=now,
            )
        )
        return {"id": str(job_id)}

    def process() -> dict[str, Any]:
        return {
            "modules": len(sys.modules),
            "dagster_imported": "dagster" in sys.modules,
            "gc_tracked_objects": len(gc.get_objects()),
            "full_collections_ms": list(_full_collections_ms),
        }

    application.add_api_route(
        FLOOR_PATH, floor, methods=["POST"], status_code=status.HTTP_201_CREATED
    )
    application.add_api_route(PROCESS_PATH, process, methods=["GET"])
    # Ahead of the frontend's catch-all mount, which answers every path the API does not.
    routes = application.router.routes
    for _ in range(2):
        routes.insert(0, routes.pop())
    return application


app = create_floor_app()
