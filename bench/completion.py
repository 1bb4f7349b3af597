"""3. Completion lag: the job's ``completed_at`` minus its Dagster run's end time.

Real runs of the real sync job (Dagster daemon, run worker, emulator), launched through the
API and the worker. Jobs alternate between two kinds, side by side under the same beat:
"beat only" jobs nobody reads, so only beat's reconcile (at its default interval) finishes
them; "polled" jobs are read with ``GET /api/jobs/{id}`` every 2 s from a random phase, as
the frontend polls, and that endpoint asks Dagster about a running job itself. POSTs are
spaced by random gaps so run ends fall at random points of the beat's cycle.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import httpx
from sqlalchemy import text

from bench import seed
from bench.bank import linked_connections
from bench.dagster_runs import run_times
from bench.options import Options
from bench.stack import Stack
from bench.stats import summary
from tests.support.processes import wait_until


def _jobs(job_ids: list[str]) -> list[dict[str, Any]]:
    from app.db import get_engine

    with get_engine().connect() as db:
        rows = db.execute(
            text(
                "SELECT id::text AS id, status, dagster_run_id, created_at, started_at, "
                "completed_at, error_message FROM jobs WHERE id::text = ANY(:ids)"
            ),
            {"ids": job_ids},
        ).mappings()
        return [dict(row) for row in rows]


POLL_SECONDS = 2.0


def _poll(
    url: str, job_id: str, headers: dict[str, str], phase: float, stop: threading.Event
) -> None:
    """Read the job every POLL_SECONDS, as the frontend does, until it is final."""
    if stop.wait(phase):
        return
    with httpx.Client(base_url=url, timeout=30) as api:
        while not stop.is_set():
            try:
                status = api.get(f"/api/jobs/{job_id}", headers=headers).json().get("status")
            except (httpx.HTTPError, ValueError):
                status = None
            if status in ("completed", "failed"):
                return
            stop.wait(POLL_SECONDS)


def run(stack: Stack, options: Options) -> dict[str, Any]:
    from app.config import get_settings

    assert stack.dagster is not None and stack.emulator_url is not None
    interval = get_settings().reconcile_interval_seconds
    count = options.completion_jobs
    (user,) = seed.create_users("bench-completion-user", 1)
    connections = linked_connections(stack.emulator_url, user, 2 * count)
    (owner,) = seed.with_tokens([(connections[0], user)])
    headers = {"Authorization": f"Bearer {owner.token}"}
    gaps = random.Random(11)
    job_ids: list[str] = []
    polled: set[str] = set()
    pollers: list[threading.Thread] = []
    stop = threading.Event()
    with httpx.Client(base_url=stack.api_url, timeout=30) as api:
        for number, connection_id in enumerate(connections):
            answer = api.post(f"/api/connections/{connection_id}/sync", headers=headers)
            answer.raise_for_status()
            job_id = answer.json()["id"]
            job_ids.append(job_id)
            if number % 2 == 1:
                polled.add(job_id)
                poller = threading.Thread(
                    target=_poll,
                    args=(stack.api_url, job_id, headers, gaps.uniform(0, POLL_SECONDS), stop),
                    daemon=True,
                )
                poller.start()
                pollers.append(poller)
            time.sleep(gaps.uniform(0.5, 2.0))

    def all_finished() -> list[dict[str, Any]] | None:
        jobs = _jobs(job_ids)
        return jobs if all(job["status"] in ("completed", "failed") for job in jobs) else None

    try:
        jobs = wait_until(all_finished, timeout=120 + 30 * count, interval=0.5, what="the syncs")
    finally:
        stop.set()
        for poller in pollers:
            poller.join(timeout=10)
    runs = run_times(stack.dagster.url, [job["dagster_run_id"] for job in jobs])
    lags: dict[str, list[float]] = {"beat": [], "polled": []}
    durations: list[float] = []
    queued: list[float] = []
    rows = []
    for job in jobs:
        run = runs.get(job["dagster_run_id"]) or {}
        end = run.get("endTime")
        if end is None:
            continue
        lag = job["completed_at"].timestamp() - float(end)
        kind = "polled" if job["id"] in polled else "beat"
        lags[kind].append(lag)
        if run.get("startTime") is not None:
            durations.append(float(end) - float(run["startTime"]))
            queued.append(float(run["startTime"]) - float(run["creationTime"]))
        rows.append(
            {
                "job_id": job["id"],
                "kind": kind,
                "status": job["status"],
                "run_status": run.get("status"),
                "lag_s": lag,
                "error": job["error_message"],
            }
        )
    statuses = [row["status"] for row in rows]
    return {
        "reconcile_interval_s": interval,
        "poll_interval_s": POLL_SECONDS,
        "jobs_per_kind": count,
        "completed": statuses.count("completed"),
        "failed": statuses.count("failed"),
        "lag_s": summary(lags["beat"]),
        "lag_polled_s": summary(lags["polled"]),
        "run_created_to_started_s": summary(queued),
        "run_started_to_ended_s": summary(durations),
        "per_job": rows,
        "targets": {"p50_s_max": 1.0, "max_s_max": interval + 1.0},
    }
