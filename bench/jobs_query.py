"""5. ``GET /api/jobs?entity_type&entity_id`` with a big ``jobs`` table.

The table gets ``--jobs-rows`` finished jobs (1,000,000 by default) with set-based SQL: a
year of history, ``--jobs-per-entity`` jobs per connection, five connections per user. The
endpoint is loaded with ``--read-clients`` clients, each request for a random connection as its
owner, next to the floor endpoint at the same concurrency (rounds alternate). The query the
endpoint sends is captured and EXPLAINed, and timed in SQL as planned, next to the same
query with index scans disabled (sequential scan).
"""

from __future__ import annotations

import hashlib
import random
import re
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from bench import seed
from bench.loadgen import LoadGenerator
from bench.options import Options
from bench.sql import captured_statements, explain, time_statement
from bench.stack import Stack, settle
from bench.stats import median, summary
from bench.sysinfo import CpuWindow

USER_LABEL = "bench-history-user"
ENTITY_LABEL = "bench-history-entity"
NO_INDEX = ("enable_indexscan = off", "enable_bitmapscan = off", "enable_indexonlyscan = off")
LIST_LIMIT = 20  # the endpoint's default page
_INDEX_IN_PLAN = re.compile(r"Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)")


def _md5_uuid(value: str) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(value.encode()).hexdigest())  # noqa: S324 - ids, not security


def _load_history(rows: int, entities: int, users: int) -> float:
    from app.db import get_engine

    started = time.perf_counter()
    seed.create_users(USER_LABEL, users)
    with get_engine().begin() as db:
        db.execute(
            text(
                "INSERT INTO jobs (id, job_type, status, user_id, entity_type, entity_id, "
                "dagster_run_id, error_message, created_at, started_at, completed_at, "
                "updated_at, attempts) "
                "SELECT gen_random_uuid(), 'sync', "
                "CASE WHEN n % 40 = 0 THEN 'failed' ELSE 'completed' END, "
                "md5(:user_label || '-' || (1 + (n % :entities) % :users))::uuid, 'connection', "
                "md5(:entity_label || '-' || (n % :entities))::uuid, md5('run-' || n), "
                "CASE WHEN n % 40 = 0 THEN 'Dagster run failed in step gocardless_sync' END, "
                "at, at + interval '2 seconds', at + interval '20 seconds', "
                "at + interval '20 seconds', 1 "
                "FROM (SELECT n, now() - make_interval(secs => n * 30) AS at "
                "      FROM generate_series(1, :rows) AS n) AS history"
            ),
            {
                "rows": rows,
                "entities": entities,
                "users": users,
                "user_label": USER_LABEL,
                "entity_label": ENTITY_LABEL,
            },
        )
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE jobs"))
    return time.perf_counter() - started


def run(stack: Stack, options: Options, loadgen: LoadGenerator) -> dict[str, Any]:
    from app.db import session_scope
    from app.enums import EntityType
    from app.jobs import repository

    rows = options.jobs_rows
    entities = max(1, rows // options.jobs_per_entity)
    users = max(1, entities // 5)
    load_seconds = _load_history(rows, entities, users)
    table_rows = seed.count_jobs()
    print(f"  jobs: {table_rows:,} rows in jobs, loaded in {load_seconds:.0f} s", flush=True)

    sample = random.Random(5).sample(range(entities), min(1000, entities))
    pairs = [
        (_md5_uuid(f"{ENTITY_LABEL}-{k}"), _md5_uuid(f"{USER_LABEL}-{1 + k % users}"))
        for k in sample
    ]
    owned = seed.with_tokens(pairs)
    data = seed.write_pairs(stack.workdir / "jobs-list.txt", owned, shuffle=False)

    first = owned[0]
    answer = httpx.get(
        f"{stack.api_url}/api/jobs",
        params={"entity_type": "connection", "entity_id": str(first.entity_id)},
        headers={"Authorization": f"Bearer {first.token}"},
        timeout=30,
    )
    answer.raise_for_status()
    listed = len(answer.json()["jobs"])

    # The statement the endpoint sends, captured from the repository call it makes.
    with captured_statements() as seen, session_scope() as session:
        repository.get_jobs_by_user(
            session,
            first.user_id,
            limit=LIST_LIMIT,
            entity_type=EntityType.CONNECTION,
            entity_id=first.entity_id,
        )
    statement, parameters = next(item for item in seen if "FROM jobs" in item[0])
    plan = explain(statement, parameters)
    seq_plan = explain(statement, parameters, settings=NO_INDEX)

    def bind(entity_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
        bound = dict(parameters)
        for key, value in parameters.items():
            if value == first.entity_id:
                bound[key] = entity_id
            elif value == first.user_id:
                bound[key] = user_id
        return bound

    sets = [bind(row.entity_id, row.user_id) for row in owned]
    indexed = time_statement(statement, sets[: options.sql_samples])
    sequential = time_statement(statement, sets[: min(10, options.sql_samples)], settings=NO_INDEX)

    rounds: list[dict[str, Any]] = []
    clients, seconds = options.read_clients, options.read_duration
    loadgen.run(stack.api_url, "jobs", clients=clients, seconds=2, data=data)  # warm-up
    for number in range(options.read_rounds):
        order = ("jobs", "floor") if number % 2 == 0 else ("floor", "jobs")
        for mode in order:
            settle(1.0)
            with CpuWindow() as cpu:
                result = loadgen.run(
                    stack.api_url, mode, clients=clients, seconds=seconds, data=data
                )
            row = result.as_dict()
            row.update(round=number, machine_cpu_utilisation=cpu.utilisation)
            rounds.append(row)
            print(
                f"  jobs {mode:5s}: {result.throughput:7.1f} req/s  p50 {result.p50_ms:6.1f} ms  "
                f"p99 {result.p99_ms:6.1f} ms  statuses {result.statuses}",
                flush=True,
            )

    def pick(mode: str, key: str) -> float:
        return median([float(row[key]) for row in rounds if row["mode"] == mode])

    index_names = sorted(set(_INDEX_IN_PLAN.findall(plan)))
    return {
        "rows_in_jobs": table_rows,
        "entities": entities,
        "users": users,
        "jobs_per_entity": options.jobs_per_entity,
        "load_seconds": load_seconds,
        "listed_per_request": listed,
        "clients": clients,
        "rounds": rounds,
        "list": {
            "throughput_rps": pick("jobs", "throughput_rps"),
            "p50_ms": pick("jobs", "p50_ms"),
            "p99_ms": pick("jobs", "p99_ms"),
            "p99_ms_worst_round": max(float(r["p99_ms"]) for r in rounds if r["mode"] == "jobs"),
        },
        "floor": {
            "throughput_rps": pick("floor", "throughput_rps"),
            "p50_ms": pick("floor", "p50_ms"),
            "p99_ms": pick("floor", "p99_ms"),
        },
        "statement": statement,
        "plan": plan,
        "plan_indexes": index_names,
        "uses_index": bool(index_names),
        "sql_ms": summary([value * 1000 for value in indexed]),
        "sql_seq_scan_ms": summary([value * 1000 for value in sequential]),
        "seq_scan_plan": seq_plan,
        "targets": {"p99_ms_max": 20.0},
    }
