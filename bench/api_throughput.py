"""1. ``POST /api/connections/{id}/sync`` at 32 clients next to the floor endpoint.

No worker runs: every POST inserts a pending job (each request names a connection without an
active job) and publishes its dispatch message, and the queue just fills; it is purged, and
the jobs table emptied, before every round. Rounds alternate which endpoint goes first.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from bench import seed
from bench.loadgen import LoadGenerator, LoadResult
from bench.options import Options
from bench.stack import Stack, settle
from bench.stats import median
from bench.sysinfo import CpuWindow, process_cpu_seconds


def _queue_length() -> int:
    from app.config import get_settings
    from worker.celery_app import DISPATCH_QUEUE

    settings = get_settings()
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    try:
        return int(client.llen(f"{settings.redis_key_prefix}{DISPATCH_QUEUE}"))
    finally:
        client.close()


def _reset(stack: Stack) -> None:
    seed.truncate_jobs()
    stack.purge_queues()
    settle(1.0)


def run(stack: Stack, options: Options, loadgen: LoadGenerator) -> dict[str, Any]:
    assert stack.api is not None
    users = seed.create_users("bench-api-user", options.api_users)
    owned = seed.create_active_connections(users, options.api_connections)
    data = seed.write_pairs(stack.workdir / "api-sync.txt", owned)
    clients, seconds = options.api_clients, options.api_duration

    # Warm-up: connection pools, imports, caches. Not recorded.
    for mode in ("floor", "sync"):
        loadgen.run(stack.api_url, mode, clients=clients, seconds=2, data=data)
    _reset(stack)

    rounds: list[dict[str, Any]] = []
    for number in range(options.api_rounds):
        order = ("floor", "sync") if number % 2 == 0 else ("sync", "floor")
        for mode in order:
            _reset(stack)
            server_cpu = process_cpu_seconds(stack.api.pid)
            with CpuWindow() as cpu:
                result = loadgen.run(
                    stack.api_url, mode, clients=clients, seconds=seconds, data=data
                )
            server_cpu = process_cpu_seconds(stack.api.pid) - server_cpu
            row = result.as_dict()
            row.update(
                round=number,
                machine_cpu_utilisation=cpu.utilisation,
                server_cpu_seconds=server_cpu,
                server_cpu_ms_per_request=1000 * server_cpu / max(1, result.requests),
            )
            if mode == "sync":
                settle(1.0)  # requests in flight when the load stopped still commit and publish
                row["jobs_pending"] = seed.count_jobs("pending")
                row["messages_queued"] = _queue_length()
            rounds.append(row)
            _print(result, row)
    _reset(stack)

    def pick(mode: str, key: str) -> float:
        return median([float(row[key]) for row in rounds if row["mode"] == mode])

    sync_rps, floor_rps = pick("sync", "throughput_rps"), pick("floor", "throughput_rps")
    sync_rounds = [row for row in rounds if row["mode"] == "sync"]
    return {
        "clients": clients,
        "seconds_per_round": seconds,
        "rounds": rounds,
        "load_generator": loadgen.describe(),
        "server": "uvicorn bench.floor_app:app, one process (as the Procfile runs the API)",
        "connections": len(owned),
        "sync": {
            "throughput_rps": sync_rps,
            "p50_ms": pick("sync", "p50_ms"),
            "p99_ms": pick("sync", "p99_ms"),
            "p99_ms_worst_round": max(float(row["p99_ms"]) for row in sync_rounds),
            "server_cpu_ms_per_request": pick("sync", "server_cpu_ms_per_request"),
            "every_post_created_a_job": all(
                row["statuses"]["202"] == row["requests"] <= row["jobs_pending"]
                for row in sync_rounds
            ),
            "every_job_enqueued": all(
                row["messages_queued"] >= row["jobs_pending"] for row in sync_rounds
            ),
        },
        "floor": {
            "throughput_rps": floor_rps,
            "p50_ms": pick("floor", "p50_ms"),
            "p99_ms": pick("floor", "p99_ms"),
            "server_cpu_ms_per_request": pick("floor", "server_cpu_ms_per_request"),
        },
        "ratio": sync_rps / floor_rps if floor_rps else None,
        "targets": {"ratio_min": 0.6, "p99_ms_max": 100.0},
    }


def _print(result: LoadResult, row: dict[str, Any]) -> None:
    print(
        f"  api {result.mode:5s}: {result.throughput:7.1f} req/s  p50 {result.p50_ms:6.1f} ms  "
        f"p99 {result.p99_ms:6.1f} ms  statuses {result.statuses}  "
        f"cpu {row['machine_cpu_utilisation']:.0%}  server {row['server_cpu_seconds']:.1f} s "
        f"[{time.strftime('%H:%M:%S')}]",
        flush=True,
    )
