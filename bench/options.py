"""Command-line parameters of ``python -m bench``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("api", "dispatch", "completion", "reconcile", "jobs", "executors")
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "latest.json"


@dataclass
class Options:
    sections: tuple[str, ...] = SECTIONS
    quick: bool = False
    output: Path = DEFAULT_OUTPUT
    loadgen: str = "auto"
    keep_workdir: bool = False
    # 1. POST /api/connections/{id}/sync next to the floor endpoint
    api_clients: int = 32
    api_duration: float = 10.0
    api_rounds: int = 3
    api_connections: int = 20_000
    api_users: int = 500
    # 2. dispatch overhead
    dispatch_samples: int = 15
    # 3. completion lag
    completion_jobs: int = 12
    # 4. reconcile scaling
    reconcile_sizes: tuple[int, ...] = (1_000, 10_000)
    reconcile_repeats: int = 3
    # 5. GET /api/jobs on a big table
    jobs_rows: int = 1_000_000
    jobs_per_entity: int = 100
    read_clients: int = 4
    read_duration: float = 10.0
    read_rounds: int = 2
    sql_samples: int = 300
    # 6. executors
    executor_repeats: int = 3


def _sizes(value: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in value.split(",") if part.strip())
    if not sizes or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError("give positive integers, e.g. 1000,10000")
    return tuple(sorted(sizes))


def _sections(value: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown section(s) {unknown}; known: {SECTIONS}")
    return tuple(name for name in SECTIONS if name in chosen)


QUICK = {
    "api_duration": 3.0,
    "api_rounds": 1,
    "dispatch_samples": 5,
    "completion_jobs": 4,
    "reconcile_repeats": 1,
    "jobs_rows": 100_000,
    "read_duration": 3.0,
    "read_rounds": 1,
    "sql_samples": 50,
    "executor_repeats": 1,
}


def parse_args(argv: list[str] | None = None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of the jobs stack; each figure next to its baseline.",
    )
    parser.add_argument("--quick", action="store_true", help="short runs, small data (~4 min)")
    parser.add_argument(
        "--sections",
        type=_sections,
        default=defaults.sections,
        help=f"comma-separated subset of {','.join(SECTIONS)}",
    )
    parser.add_argument("--output", type=Path, default=defaults.output, help="JSON results file")
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default=defaults.loadgen,
        help="HTTP load generator: wrk (installed with apt-get when missing) or an asyncio "
        "httpx client in its own process; auto prefers wrk",
    )
    parser.add_argument("--keep-workdir", action="store_true", help="keep process logs")
    number = parser.add_argument_group("parameters (--quick lowers the marked ones)")
    number.add_argument("--api-clients", type=int, default=defaults.api_clients)
    number.add_argument("--api-duration", type=float, help="seconds per round (*) [10]")
    number.add_argument("--api-rounds", type=int, help="rounds per endpoint (*) [3]")
    number.add_argument("--api-connections", type=int, default=defaults.api_connections)
    number.add_argument("--api-users", type=int, default=defaults.api_users)
    number.add_argument("--dispatch-samples", type=int, help="(*) [15]")
    number.add_argument("--completion-jobs", type=int, help="(*) [12]")
    number.add_argument("--reconcile-sizes", type=_sizes, default=defaults.reconcile_sizes)
    number.add_argument("--reconcile-repeats", type=int, help="(*) [3]")
    number.add_argument("--jobs-rows", type=int, help="rows in jobs (*) [1000000]")
    number.add_argument("--jobs-per-entity", type=int, default=defaults.jobs_per_entity)
    number.add_argument("--read-clients", type=int, default=defaults.read_clients)
    number.add_argument("--read-duration", type=float, help="seconds per round (*) [10]")
    number.add_argument("--read-rounds", type=int, help="(*) [2]")
    number.add_argument("--sql-samples", type=int, help="(*) [300]")
    number.add_argument("--executor-repeats", type=int, help="(*) [3]")
    args = parser.parse_args(argv)

    options = Options(
        sections=args.sections,
        quick=args.quick,
        output=args.output,
        loadgen=args.loadgen,
        keep_workdir=args.keep_workdir,
        api_clients=args.api_clients,
        api_connections=args.api_connections,
        api_users=args.api_users,
        reconcile_sizes=args.reconcile_sizes,
        jobs_per_entity=args.jobs_per_entity,
        read_clients=args.read_clients,
    )
    if args.quick:
        for name, value in QUICK.items():
            setattr(options, name, value)
    for name in (
        "api_duration",
        "api_rounds",
        "dispatch_samples",
        "completion_jobs",
        "reconcile_repeats",
        "jobs_rows",
        "read_duration",
        "read_rounds",
        "sql_samples",
        "executor_repeats",
    ):
        value = getattr(args, name)
        if value is not None:
            setattr(options, name, value)
    return options
