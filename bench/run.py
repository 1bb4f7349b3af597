"""Runs the chosen sections in an order that lets each start from a quiet machine.

1. API (no worker), 2. dispatch and 3. completion (worker and beat), 4. reconcile (worker and
beat stopped, this process reconciles through the recording proxy), 5. the jobs list on a
big table (then 4 again, over that table), 6. executors (Dagster and the API stopped).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import seed
from bench.loadgen import LoadGenerator
from bench.options import Options
from bench.stack import Stack, settle
from bench.sysinfo import machine


def run(options: Options, base_url: str) -> int:
    sections = set(options.sections)
    workdir = Path(tempfile.mkdtemp(prefix="bankjobs-bench-"))
    stack = Stack(workdir, base_url)
    started = time.monotonic()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "options": {key: _jsonable(value) for key, value in asdict(options).items()},
        "machine": machine(),
        "sections": {},
        "errors": {},
    }
    print(f"bench: sections {', '.join(options.sections)}; logs in {workdir}", flush=True)

    def section(name: str, body: Callable[[], dict[str, Any]]) -> None:
        print(f"bench: {name} [{time.strftime('%H:%M:%S')}]", flush=True)
        section_started = time.monotonic()
        try:
            outcome = body()
        except Exception as exc:
            results["errors"][name] = "".join(traceback.format_exception(exc))
            print(f"bench: {name} FAILED: {exc}\n{stack.logs()}", file=sys.stderr, flush=True)
            return
        outcome["loadavg_after"] = os.getloadavg()
        outcome["section_seconds"] = time.monotonic() - section_started
        results["sections"][name] = outcome

    try:
        needs_dagster = bool(sections & {"dispatch", "completion", "reconcile"})
        needs_api = bool(sections & {"api", "dispatch", "completion", "jobs"})
        needs_emulator = needs_dagster or bool(sections & {"executors"})
        loadgen = LoadGenerator(options.loadgen) if sections & {"api", "jobs"} else None
        stack.create_app_database()
        seed.create_user(seed.FLOOR_USER_ID, "bench-floor@bench.invalid")
        if needs_emulator:
            stack.start_emulator()
        if needs_dagster:
            stack.start_dagster()
        if needs_api:
            stack.start_api()
        if needs_dagster:
            stack.wait_dagster()
        settle(5.0)

        if "api" in sections:
            from bench import api_throughput

            assert loadgen is not None
            section("api", lambda: api_throughput.run(stack, options, loadgen))

        if sections & {"dispatch", "completion"}:
            stack.start_worker_and_beat()
            settle(3.0)
        if "dispatch" in sections:
            from bench import dispatch

            section("dispatch", lambda: dispatch.run(stack, options))
        if "completion" in sections:
            from bench import completion

            section("completion", lambda: completion.run(stack, options))
        stack.stop_worker_and_beat()

        reconcile_state: Any = None
        if "reconcile" in sections:
            from bench import reconcile

            def reconcile_section() -> dict[str, Any]:
                nonlocal reconcile_state
                outcome, reconcile_state = reconcile.run(stack, options)
                return outcome

            section("reconcile", reconcile_section)

        if "jobs" in sections:
            from bench import jobs_query

            assert loadgen is not None
            section("jobs", lambda: jobs_query.run(stack, options, loadgen))
            if reconcile_state is not None:
                from bench import reconcile

                section(
                    "reconcile_with_history",
                    lambda: reconcile.run_with_history(reconcile_state, options),
                )

        if reconcile_state is not None:
            reconcile_state.close()
        if stack.api is not None:
            results["api_process"] = _api_process(stack.api_url)
        stack.stop_api()
        stack.stop_dagster()

        if "executors" in sections:
            from bench import executors

            settle(3.0)
            section("executors", lambda: executors.run(stack, options))
    except Exception as exc:
        results["errors"]["setup"] = "".join(traceback.format_exception(exc))
        print(f"bench: FAILED: {exc}\n{stack.logs()}", file=sys.stderr, flush=True)
    finally:
        results["machine"]["loadavg_end"] = os.getloadavg()
        results["total_seconds"] = time.monotonic() - started
        stack.purge_redis_prefix()
        stack.close()
        if not options.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    from bench.report import render

    table = render(results)
    results["table_markdown"] = table
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(table)
    print(f"\nbench: {results['total_seconds']:.0f} s; results in {options.output}")
    for name in results["errors"]:
        print(f"bench: section {name} failed (see the JSON)", file=sys.stderr)
    return 1 if results["errors"] else 0


def _api_process(url: str) -> dict[str, Any]:
    """The API process's module count, GC-tracked objects and full-collection pauses."""
    import httpx

    from bench.stats import summary

    try:
        answer: dict[str, Any] = httpx.get(f"{url}/bench/process", timeout=30).json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"error": str(exc)}
    answer["full_collection_pause_ms"] = summary(answer.pop("full_collections_ms"))
    return answer


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
