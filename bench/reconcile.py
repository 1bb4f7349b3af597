"""4. One reconcile pass over N running jobs: wall time and Dagster requests.

The jobs are real rows; each points at a real run in the test Dagster's Postgres storage
(written in bulk, status NOT_STARTED: unfinished, so every pass reads all of them and changes
nothing, and repeats are alike). This process runs the pass (``app.jobs.tasks.reconcile``)
through the recording proxy, with worker and beat stopped. Baselines, through the same proxy:
the client's batched status read alone (the Dagster share of a pass), and the same batches
asking only ``runId status``; and the pass with Dagster answered by a stand-in in this
process that reports every run unfinished at once (the database share of a pass).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

from sqlalchemy import text

from bench import seed
from bench.dagster_runs import MINIMAL_STATUS_QUERY, add_synthetic_runs, graphql
from bench.options import Options
from bench.sql import captured_statements, explain
from bench.stack import Stack
from bench.stats import median
from bench.sysinfo import process_cpu_seconds
from tests.support.dagster_proxy import DagsterProxy
from tests.support.processes import free_port

FEW_RUNNING = 10


@dataclass
class ReconcileState:
    stack: Stack
    proxy: DagsterProxy
    run_ids: list[str]
    job_count: int = 0
    passes: list[dict[str, Any]] = field(default_factory=list)

    def close(self) -> None:
        self.proxy.close()


def _insert_running_jobs(
    user_id: uuid.UUID, job_ids: list[uuid.UUID], entities: list[uuid.UUID], runs: list[str]
) -> None:
    from app.db import get_engine

    with get_engine().begin() as db:
        db.execute(
            text(
                "INSERT INTO jobs (id, job_type, status, user_id, entity_type, entity_id, "
                "dagster_run_id, created_at, started_at, updated_at, attempts) "
                "SELECT j, 'sync', 'running', :user, 'connection', e, r, now(), now(), now(), 1 "
                "FROM unnest(CAST(:jobs AS uuid[]), CAST(:entities AS uuid[]), "
                "CAST(:runs AS text[])) AS t(j, e, r)"
            ),
            {"user": user_id, "jobs": job_ids, "entities": entities, "runs": runs},
        )
        db.execute(text("ANALYZE jobs"))


def _measure(state: ReconcileState, size: int, repeats: int, label: str) -> dict[str, Any]:
    from app.config import Settings
    from app.jobs.tasks import reconcile
    from app.providers.dagster import get_dagster_client

    assert state.stack.dagster is not None
    webserver = state.stack.dagster.webserver.pid
    proxy = state.proxy
    settings = Settings(dagster_url=proxy.url)
    batch = settings.reconcile_batch_size
    run_ids = state.run_ids[:size]
    rows: list[dict[str, Any]] = []

    def timed(kind: str, body: Any) -> None:
        proxy.reset_counts()
        cpu = process_cpu_seconds(webserver)
        started = time.perf_counter()
        outcome = body()
        wall = time.perf_counter() - started
        row = {
            "kind": kind,
            "wall_s": wall,
            "requests": sum(proxy.counts.values()),
            "operations": dict(proxy.counts),
            "dagster_webserver_cpu_s": process_cpu_seconds(webserver) - cpu,
        }
        if kind in ("pass", "database_only_pass"):
            row["report"] = outcome.as_dict()
        rows.append(row)

    def minimal() -> None:
        for start in range(0, size, batch):
            chunk = run_ids[start : start + batch]
            graphql(proxy.url, MINIMAL_STATUS_QUERY, {"runIds": chunk, "limit": len(chunk)})

    def client_read() -> None:
        get_dagster_client(settings).get_run_statuses(run_ids, batch_size=batch)

    bodies = {
        "pass": lambda: reconcile(settings),
        "client_status_read": client_read,
        "minimal_status_read": minimal,
        "database_only_pass": lambda: _pass_without_dagster(settings),
    }
    for number in range(repeats):
        order = list(bodies) if number % 2 == 0 else list(reversed(bodies))
        for kind in order:
            timed(kind, bodies[kind])

    def pick(kind: str, key: str) -> float:
        return median([float(row[key]) for row in rows if row["kind"] == kind])

    passes = [row for row in rows if row["kind"] == "pass"]
    result = {
        "label": label,
        "running_jobs": size,
        "batch_size": batch,
        "expected_requests": math.ceil(size / batch),
        "pass_wall_s": pick("pass", "wall_s"),
        "pass_requests": int(pick("pass", "requests")),
        "pass_checked": [row["report"]["checked"] for row in passes],
        "pass_transitions": [row["report"]["transitions"] for row in passes],
        "pass_dagster_cpu_s": pick("pass", "dagster_webserver_cpu_s"),
        "client_status_read_wall_s": pick("client_status_read", "wall_s"),
        "minimal_status_read_wall_s": pick("minimal_status_read", "wall_s"),
        "database_only_pass_wall_s": pick("database_only_pass", "wall_s"),
        "rows": rows,
        "target_wall_s": 3.0 if size >= 10_000 else None,
    }
    print(
        f"  reconcile {size:>6} ({label}): pass {result['pass_wall_s']:.2f} s, "
        f"{result['pass_requests']} requests; client read {result['client_status_read_wall_s']:.2f}"
        f" s; minimal read {result['minimal_status_read_wall_s']:.2f} s; database only "
        f"{result['database_only_pass_wall_s']:.2f} s",
        flush=True,
    )
    return result


class _EveryRunUnfinished:
    """Answers a reconciler's status read at once: every run exists and is still running."""

    def get_run_statuses(
        self, run_ids: Iterable[str], *, batch_size: int = 200, with_failure_details: bool = True
    ) -> dict[str, Any]:
        from app.providers.dagster import RunInfo

        return {run_id: RunInfo(run_id, "NOT_STARTED") for run_id in run_ids}

    def terminate_run(self, run_id: str) -> None:
        return None


def _pass_without_dagster(settings: Any) -> Any:
    from app.jobs.tasks import reconcile

    with patch("app.jobs.tasks.get_dagster_client", return_value=_EveryRunUnfinished()):
        return reconcile(settings)


def _lock_plan(state: ReconcileState) -> str:
    """The plan of the first batch's ``FOR UPDATE SKIP LOCKED`` select, as the pass sends it."""
    from app.config import Settings
    from app.db import session_scope
    from app.jobs import repository

    settings = Settings(dagster_url=state.proxy.url)
    with captured_statements() as seen, session_scope() as session:
        repository.lock_running_jobs(session, after_id=None, limit=settings.reconcile_batch_size)
    statement, parameters = next(item for item in seen if "SKIP LOCKED" in item[0])
    return explain(statement, parameters)


def run(stack: Stack, options: Options) -> tuple[dict[str, Any], ReconcileState]:
    from app.jobs.service import CONNECTION_ID_TAG, JOB_ID_TAG, MAX_RUNTIME_TAG

    assert stack.dagster is not None
    seed.truncate_jobs()
    biggest = max(options.reconcile_sizes)
    (user,) = seed.create_users("bench-reconcile-user", 1)
    job_ids = [uuid.uuid4() for _ in range(biggest)]
    entities = [uuid.uuid4() for _ in range(biggest)]
    tags = [
        {
            JOB_ID_TAG: str(job_id),
            CONNECTION_ID_TAG: str(entity),
            MAX_RUNTIME_TAG: "1800",
            "bankjobs/kind": "gocardless_sync",
        }
        for job_id, entity in zip(job_ids, entities, strict=True)
    ]
    started = time.perf_counter()
    run_ids = add_synthetic_runs(str(stack.dagster.home), biggest, tags)
    seeding = time.perf_counter() - started
    proxy = DagsterProxy(stack.dagster.url, free_port())
    proxy.up()
    state = ReconcileState(stack, proxy, run_ids)
    sizes = []
    for size in options.reconcile_sizes:
        start = state.job_count
        _insert_running_jobs(user, job_ids[start:size], entities[start:size], run_ids[start:size])
        state.job_count = size
        sizes.append(_measure(state, size, options.reconcile_repeats, "only running jobs"))
    return {
        "runs_in_dagster": biggest,
        "seeding_runs_s": seeding,
        "sizes": sizes,
        "lock_plan": _lock_plan(state),
        "via": "recording proxy in front of the Dagster webserver (counts every request)",
    }, state


def run_with_history(state: ReconcileState, options: Options) -> dict[str, Any]:
    """Passes once the jobs table also holds the history of section 5: the biggest pass
    again, then the steady state of a few running jobs among all that history."""
    from app.db import get_engine

    rows = seed.count_jobs()
    label = f"{rows:,} rows in jobs"
    results = [_measure(state, state.job_count, options.reconcile_repeats, label)]
    busy_plan = _lock_plan(state)
    few = min(FEW_RUNNING, state.job_count)
    with get_engine().begin() as db:
        db.execute(
            text(
                "UPDATE jobs SET status = 'completed', completed_at = now() WHERE status = "
                "'running' AND id NOT IN (SELECT id FROM jobs WHERE status = 'running' "
                "ORDER BY id LIMIT :few)"
            ),
            {"few": few},
        )
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE jobs"))
    results.append(_measure(state, few, options.reconcile_repeats, label))
    return {
        "jobs_rows": rows,
        "sizes": results,
        "lock_plan": busy_plan,
        "lock_plan_few_running": _lock_plan(state),
    }
