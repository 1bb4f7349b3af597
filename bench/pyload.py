"""A fallback HTTP load generator: asyncio + httpx in its own process.

    python -m bench.pyload URL MODE DATAFILE CLIENTS DURATION

Same modes and the same one-line JSON result as ``bench/lua/requests.lua`` for wrk.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

from bench.stats import percentile


def _load_lines(path: str) -> list[tuple[str, str]]:
    if path in ("", "-"):
        return []
    pairs: list[tuple[str, str]] = []
    with open(path) as lines:
        for line in lines:
            parts = line.split()
            if len(parts) == 2:
                pairs.append((parts[0], parts[1]))
    return pairs


async def _run(url: str, mode: str, path: str, clients: int, duration: float) -> dict[str, object]:
    pairs = _load_lines(path)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    wrapped = 0
    position = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + duration

        async def one_client() -> None:
            nonlocal errors, wrapped, position
            while time.perf_counter() < deadline:
                headers: dict[str, str] = {}
                if mode == "floor":
                    method, target = "POST", "/bench/floor"
                else:
                    if position >= len(pairs):
                        position, wrapped = 0, wrapped + 1
                    token, entity = pairs[position]
                    position += 1
                    headers["Authorization"] = f"Bearer {token}"
                    if mode == "sync":
                        method, target = "POST", f"/api/connections/{entity}/sync"
                    else:
                        method = "GET"
                        target = f"/api/jobs?entity_type=connection&entity_id={entity}"
                started = time.perf_counter()
                try:
                    answer = await client.request(method, target, headers=headers)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    known = {code: statuses.get(code, 0) for code in (200, 201, 202)}
    other = {code: count for code, count in statuses.items() if code not in known}
    micro = [value * 1e6 for value in latencies]
    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "errors": {"connect": errors, "read": 0, "write": 0, "status": sum(other.values())},
        "latency_us": {
            "p50": percentile(micro, 0.5),
            "p90": percentile(micro, 0.9),
            "p99": percentile(micro, 0.99),
            "max": max(micro, default=0.0),
            "mean": sum(micro) / len(micro) if micro else 0.0,
        },
        "status": {
            **{str(code): count for code, count in known.items()},
            "other": sum(other.values()),
            "last_other": max(other, default=0),
        },
        "wrapped": wrapped,
    }


def main(argv: list[str]) -> None:
    url, mode, path, clients, duration = argv
    result = asyncio.run(_run(url, mode, path, int(clients), float(duration)))
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
