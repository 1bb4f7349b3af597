"""2. Dispatch overhead: the POST's commit to the Dagster run's creation, next to the raw call.

Path measured: API commits the pending job (``created_at``) → publishes ``jobs.dispatch`` →
the Celery worker locks the job, looks for a run tagged with it, launches the run with
``submit_job_execution`` → Dagster stores the run (its ``creationTime``). Baseline: this
process calls ``DagsterGraphQLClient.submit_job_execution`` on the same Dagster with the
same job, config and tags, from just before the call to the same ``creationTime``.

The Dagster daemon is frozen meanwhile, so the runs stay queued and none executes (run
creation does not involve the daemon); they are canceled before it resumes. Samples
alternate which path goes first and are spaced out so each dispatch is alone.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from dagster_graphql import DagsterGraphQLClient
from sqlalchemy import text

from bench import seed
from bench.dagster_runs import cancel_queued_runs, run_times
from bench.options import Options
from bench.stack import Stack, settle
from bench.stats import summary
from tests.support.processes import wait_until


def _run_id_of(job_id: str) -> str | None:
    from app.db import get_engine

    with get_engine().connect() as db:
        value = db.execute(
            text("SELECT dagster_run_id FROM jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one_or_none()
    return str(value) if value else None


def run(stack: Stack, options: Options) -> dict[str, Any]:
    from app.config import get_settings
    from app.jobs.service import (
        CONNECTION_ID_TAG,
        JOB_ID_TAG,
        MAX_RUNTIME_TAG,
        SYNC_JOB_NAME,
        sync_run_config,
    )

    assert stack.dagster is not None
    settings = get_settings()
    dagster_url = stack.dagster.url
    samples = options.dispatch_samples
    (user,) = seed.create_users("bench-dispatch-user", 1)
    owned = seed.create_active_connections([user], samples + 1)
    parts = urlsplit(dagster_url)
    raw = DagsterGraphQLClient(parts.hostname or "127.0.0.1", port_number=parts.port, timeout=30)
    api = httpx.Client(base_url=stack.api_url, timeout=30)
    post: list[float] = []
    post_response: list[float] = []
    raw_overhead: list[float] = []
    raw_call: list[float] = []
    run_ids: list[str] = []

    def one_post(number: int) -> None:
        target = owned[number]
        answer = api.post(
            f"/api/connections/{target.entity_id}/sync",
            headers={"Authorization": f"Bearer {target.token}"},
        )
        answered = time.time()
        answer.raise_for_status()
        job = answer.json()
        created_at = datetime.fromisoformat(job["created_at"]).timestamp()
        run_id = wait_until(
            lambda: _run_id_of(job["id"]), timeout=60, interval=0.005, what="the dispatch"
        )
        run_ids.append(run_id)
        creation = float(run_times(dagster_url, [run_id])[run_id]["creationTime"])
        post.append(creation - created_at)
        post_response.append(answered - created_at)

    def one_raw() -> None:
        connection_id = uuid.uuid4()
        tags = {
            JOB_ID_TAG: str(uuid.uuid4()),
            MAX_RUNTIME_TAG: str(int(settings.job_max_runtime_seconds)),
            CONNECTION_ID_TAG: str(connection_id),
        }
        before = time.time()
        run_id = raw.submit_job_execution(
            SYNC_JOB_NAME,
            repository_location_name=settings.dagster_repository_location,
            repository_name=settings.dagster_repository_name,
            run_config=sync_run_config(connection_id),
            tags=tags,
        )
        after = time.time()
        run_ids.append(run_id)
        creation = float(run_times(dagster_url, [run_id])[run_id]["creationTime"])
        raw_overhead.append(creation - before)
        raw_call.append(after - before)

    stack.pause_daemon()
    try:
        # Warm-up of both paths (connections, imports, caches), not recorded.
        one_raw()
        one_post(samples)
        raw_overhead.clear()
        raw_call.clear()
        post.clear()
        post_response.clear()
        for number in range(samples):
            if number % 2 == 0:
                one_post(number)
                settle(0.3)
                one_raw()
            else:
                one_raw()
                settle(0.3)
                one_post(number)
            settle(0.5)
    finally:
        canceled = cancel_queued_runs(str(stack.dagster.home), run_ids)
        stack.resume_daemon()
        api.close()
    post_ms = summary([value * 1000 for value in post])
    raw_ms = summary([value * 1000 for value in raw_overhead])
    return {
        "samples": samples,
        "post_commit_to_run_created_ms": post_ms,
        "raw_call_start_to_run_created_ms": raw_ms,
        "raw_call_duration_ms": summary([value * 1000 for value in raw_call]),
        "post_response_after_commit_ms": summary([value * 1000 for value in post_response]),
        "overhead_p50_ms": post_ms["p50"] - raw_ms["p50"],
        "runs_canceled_after": canceled,
        "daemon": "frozen (SIGSTOP) while sampling: runs are created, queued, never executed",
        "targets": {"overhead_p50_ms_max": 100.0},
    }
