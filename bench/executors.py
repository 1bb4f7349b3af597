"""6. One scoped run of ``gocardless_connection_sync_job``: in-process executor (the job as
defined) next to Dagster's default multiprocess executor.

Each run is ``dagster.execute_job`` on a temporary Dagster instance in this process, for a
connection freshly linked at the emulator (so every run is a first sync of its own sandbox
connection). The multiprocess variant starts a process per step, and needs the filesystem
IO manager since its steps share no memory. Runs alternate; one warm-up run of each first.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from typing import Any

from bench import seed
from bench.bank import linked_connections
from bench.options import Options
from bench.stack import Stack
from bench.stats import median

JOB_NAME = "gocardless_connection_sync_job"


def in_process_job() -> Any:
    from orchestration.definitions import defs

    return defs.resolve_job_def(JOB_NAME)


def multiprocess_job() -> Any:
    from dagster import (
        AssetSelection,
        Definitions,
        FilesystemIOManager,
        define_asset_job,
        multiprocess_executor,
    )

    from orchestration.definitions import defs

    job = define_asset_job(
        JOB_NAME, selection=AssetSelection.groups("gocardless"), executor_def=multiprocess_executor
    )
    resources = {**(defs.resources or {}), "io_manager": FilesystemIOManager()}
    return Definitions(
        assets=list(defs.assets or []), jobs=[job], resources=resources
    ).resolve_job_def(JOB_NAME)


TARGETS = {"in_process": in_process_job, "multiprocess": multiprocess_job}


def _config(connection_id: uuid.UUID) -> dict[str, Any]:
    return {
        "resources": {"sync_scope": {"config": {"connection_id": str(connection_id)}}},
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }


def run(stack: Stack, options: Options) -> dict[str, Any]:
    from dagster import DagsterInstance, execute_job, reconstructable

    assert stack.emulator_url is not None
    repeats = options.executor_repeats
    (user,) = seed.create_users("bench-executor-user", 1)
    connections = iter(linked_connections(stack.emulator_url, user, 2 * repeats + 2))
    times: dict[str, list[float]] = {name: [] for name in TARGETS}
    with tempfile.TemporaryDirectory() as home, DagsterInstance.local_temp(home) as instance:

        def one(name: str) -> float:
            started = time.perf_counter()
            with execute_job(
                reconstructable(TARGETS[name]),
                instance=instance,
                run_config=_config(next(connections)),
            ) as result:
                if not result.success:
                    raise RuntimeError(f"the {name} sync run failed")
            return time.perf_counter() - started

        for name in TARGETS:
            one(name)  # warm-up
        for number in range(repeats):
            order = list(TARGETS) if number % 2 == 0 else list(reversed(TARGETS))
            for name in order:
                times[name].append(one(name))
                print(f"  executor {name:12s}: {times[name][-1]:.2f} s", flush=True)
    chosen, default = median(times["in_process"]), median(times["multiprocess"])
    return {
        "runs_per_executor": repeats,
        "in_process_s": times["in_process"],
        "multiprocess_s": times["multiprocess"],
        "in_process_median_s": chosen,
        "multiprocess_median_s": default,
        "ratio": chosen / default if default else None,
        "how": "dagster.execute_job on a temporary instance, this process; fresh connection "
        "per run",
    }
