"""The results table (Markdown), printed and stored with the JSON."""

from __future__ import annotations

import math
from typing import Any


def _ms(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value):.0f} ms" if float(value) >= 10 else f"{float(value):.1f} ms"


def _s(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value):.2f} s"


def _met(condition: bool | None) -> str:
    if condition is None:
        return "n/a"
    return "yes" if condition else "**no**"


Row = tuple[str, str, str, str, str, str]


def _api(section: dict[str, Any]) -> list[Row]:
    sync, floor = section["sync"], section["floor"]
    ratio = section["ratio"] or 0.0
    clients = section["clients"]
    return [
        (
            f"1. `POST /api/connections/{{id}}/sync`, {clients} clients: throughput",
            f"{sync['throughput_rps']:.0f} req/s",
            f"floor (INSERT + COMMIT): {floor['throughput_rps']:.0f} req/s",
            f"{ratio:.2f}x",
            "≥ 0.6x",
            _met(ratio >= 0.6),
        ),
        (
            "1. same: latency p50 / p99",
            f"{_ms(sync['p50_ms'])} / {_ms(sync['p99_ms'])}",
            f"floor: {_ms(floor['p50_ms'])} / {_ms(floor['p99_ms'])}",
            f"p99 {sync['p99_ms'] / floor['p99_ms']:.2f}x" if floor["p99_ms"] else "",
            "p99 < 100 ms",
            _met(sync["p99_ms"] < 100),
        ),
        (
            "1. same: API process CPU per request",
            _ms(sync.get("server_cpu_ms_per_request")),
            f"floor: {_ms(floor.get('server_cpu_ms_per_request'))}",
            f"{sync['server_cpu_ms_per_request'] / floor['server_cpu_ms_per_request']:.2f}x"
            if floor.get("server_cpu_ms_per_request")
            else "",
            "(explains the ratio)",
            "n/a",
        ),
    ]


def _dispatch(section: dict[str, Any]) -> list[Row]:
    post = section["post_commit_to_run_created_ms"]
    raw = section["raw_call_start_to_run_created_ms"]
    overhead = section["overhead_p50_ms"]
    return [
        (
            "2. Dispatch: POST's commit → Dagster run created, p50 (p90)",
            f"{_ms(post['p50'])} ({_ms(post['p90'])})",
            f"raw `submit_job_execution` → run created: {_ms(raw['p50'])} ({_ms(raw['p90'])})",
            f"+{overhead:.0f} ms",
            "p50 overhead < 100 ms",
            _met(overhead < 100),
        )
    ]


def _completion(section: dict[str, Any]) -> list[Row]:
    lag, polled = section["lag_s"], section["lag_polled_s"]
    interval = section["reconcile_interval_s"]
    if not lag.get("n"):
        return []
    return [
        (
            f"3. Completion lag (beat only, interval {interval:g} s): p50 / max",
            f"{_s(lag['p50'])} / {_s(lag['max'])}",
            f"same run, polled by `GET /api/jobs/{{id}}` every "
            f"{section['poll_interval_s']:g} s: {_s(polled.get('p50'))} / {_s(polled.get('max'))}",
            f"interval {interval:g} s",
            f"p50 < 1 s, max < {interval + 1:g} s",
            _met(lag["p50"] < 1.0 and lag["max"] < interval + 1.0),
        )
    ]


def _reconcile(section: dict[str, Any], note: str = "") -> list[Row]:
    rows: list[Row] = []
    for size in section["sizes"]:
        count = size["running_jobs"]
        requests, expected = size["pass_requests"], size["expected_requests"]
        target = size.get("target_wall_s")
        goal = f"requests = {expected}" + (f", < {target:g} s" if target else "")
        met = requests == expected and (target is None or size["pass_wall_s"] < target)
        rows.append(
            (
                f"4. Reconcile pass, {count:,} running jobs{note}: wall, requests",
                f"{_s(size['pass_wall_s'])}, {requests} requests",
                f"Dagster status reads alone: {_s(size['client_status_read_wall_s'])} "
                f"(`runId status` only: {_s(size['minimal_status_read_wall_s'])}); "
                f"pass without Dagster: {_s(size['database_only_pass_wall_s'])}",
                f"{size['pass_wall_s'] / size['client_status_read_wall_s']:.2f}x",
                goal,
                _met(met),
            )
        )
    return rows


def _jobs(section: dict[str, Any]) -> list[Row]:
    listing, floor = section["list"], section["floor"]
    sql, seq = section["sql_ms"], section["sql_seq_scan_ms"]
    indexes = ", ".join(section["plan_indexes"]) or "none"
    return [
        (
            f"5. `GET /api/jobs?entity_type&entity_id`, {section['rows_in_jobs']:,} rows, "
            f"{section['clients']} clients: p50 / p99",
            f"{_ms(listing['p50_ms'])} / {_ms(listing['p99_ms'])}",
            f"floor, same clients: {_ms(floor['p50_ms'])} / {_ms(floor['p99_ms'])}",
            f"p99 {listing['p99_ms'] / floor['p99_ms']:.2f}x" if floor["p99_ms"] else "",
            "p99 < 20 ms",
            _met(listing["p99_ms"] < 20),
        ),
        (
            "5. same query in SQL: p50 / p99, plan",
            f"{_ms(sql['p50'])} / {_ms(sql['p99'])}, index: {indexes}",
            f"index scans off (seq scan): {_ms(seq['p50'])} / {_ms(seq['p99'])}",
            f"{seq['p50'] / sql['p50']:.0f}x faster" if sql["p50"] else "",
            "plan uses an index",
            _met(section["uses_index"]),
        ),
    ]


def _executors(section: dict[str, Any]) -> list[Row]:
    return [
        (
            f"6. Scoped sync run, in-process executor (median of {section['runs_per_executor']})",
            _s(section["in_process_median_s"]),
            f"default multiprocess executor: {_s(section['multiprocess_median_s'])}",
            f"{section['ratio']:.2f}x" if section["ratio"] else "",
            "(comparison)",
            "n/a",
        )
    ]


def render(results: dict[str, Any]) -> str:
    sections = results["sections"]
    rows: list[Row] = []
    builders = [
        ("api", _api),
        ("dispatch", _dispatch),
        ("completion", _completion),
        ("reconcile", _reconcile),
    ]
    for name, build in builders:
        if name in sections:
            rows += build(sections[name])
    if "reconcile_with_history" in sections:
        history = sections["reconcile_with_history"]
        rows += _reconcile(history, f" + {history['jobs_rows']:,} rows in jobs")
    if "jobs" in sections:
        rows += _jobs(sections["jobs"])
    if "executors" in sections:
        rows += _executors(sections["executors"])
    header: Row = ("Figure", "Measured", "Baseline (same run)", "Ratio / Δ", "Target", "Met")
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    for name in results.get("errors", {}):
        lines.append(f"| {name} | failed: see `errors` in the JSON | | | | |")
    machine = results["machine"]
    load_start = ", ".join(f"{value:.2f}" for value in machine["loadavg_start"])
    load_end = ", ".join(f"{value:.2f}" for value in machine.get("loadavg_end", ()))
    lines += [
        "",
        f"Machine: {machine['nproc']} cores, {machine['cpu_model']}; load average "
        f"{load_start} at the start, {load_end} at the end; commit {machine['git_commit']}.",
    ]
    if "api" in sections:
        lines.append(f"Load generator: {sections['api']['load_generator']}.")
    process = results.get("api_process") or {}
    pauses = process.get("full_collection_pause_ms") or {}
    if pauses.get("n"):
        lines.append(
            f"API process: {process['modules']:,} modules (Dagster imported: "
            f"{'yes' if process['dagster_imported'] else 'no'}), "
            f"{process['gc_tracked_objects']:,} GC-tracked objects; {pauses['n']} full "
            f"collections during the run, each pausing every request: p50 "
            f"{pauses['p50']:.0f} ms, max {pauses['max']:.0f} ms."
        )
    return "\n".join(lines)
