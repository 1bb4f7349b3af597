"""Time one scoped sync with the in-process executor and with Dagster's default multiprocess
executor, on a throw-away database and emulator.

    uv run python -m tests.orchestration.measure_executors [repeats]

Each run goes through ``dagster.execute_job`` on a real (temporary) Dagster instance, so the
multiprocess executor really starts a process per step. The multiprocess variant needs the
filesystem IO manager (steps cannot share memory); the in-process one is the production job.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid

from tests.support.database import create_database, drop_database, migrate

BASE_URL = os.environ.get(
    "DATABASE_URL", "postgresql+psycopg://bankjobs:bankjobs@127.0.0.1:5432/bankjobs"
)


def in_process_job():  # type: ignore[no-untyped-def]
    from orchestration.definitions import defs

    return defs.resolve_job_def("gocardless_connection_sync_job")


def multiprocess_job():  # type: ignore[no-untyped-def]
    from dagster import (
        AssetSelection,
        Definitions,
        define_asset_job,
        fs_io_manager,
        multiprocess_executor,
    )

    from orchestration.definitions import defs

    job = define_asset_job(
        "gocardless_connection_sync_job",
        selection=AssetSelection.groups("gocardless"),
        executor_def=multiprocess_executor,
    )
    resources = {**defs.resources, "io_manager": fs_io_manager}
    return Definitions(
        assets=list(defs.assets or []), jobs=[job], resources=resources
    ).resolve_job_def("gocardless_connection_sync_job")


def main(repeats: int) -> None:
    from emulator.testing import api_base_url, free_port

    port = free_port()
    os.environ["GOCARDLESS_BASE_URL"] = api_base_url(f"http://127.0.0.1:{port}")
    database_url = create_database(BASE_URL, prefix="bankjobs_measure")
    os.environ["DATABASE_URL"] = database_url
    try:
        migrate(database_url)
        _measure(repeats, port)
    finally:
        from app.db import get_engine

        get_engine().dispose()
        drop_database(database_url)


def _measure(repeats: int, port: int) -> None:
    from dagster import DagsterInstance, execute_job, reconstructable

    from app.db import session_scope
    from emulator.testing import EmulatorControl, api_base_url, run_emulator
    from tests.orchestration.support import make_active_connection

    with run_emulator(port) as emulator_url, EmulatorControl(emulator_url) as control:
        from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
        from app.providers.gocardless import GoCardlessClient
        from app.users.repository import create_user

        with (
            GoCardlessClient(
                api_base_url(emulator_url), EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
            ) as bank,
            session_scope() as session,
        ):
            user = create_user(session, f"measure-{uuid.uuid4().hex[:8]}@example.com", "-")
            assert user is not None
            connection_id = make_active_connection(session, bank, control, user.id).id
        config = {"resources": {"sync_scope": {"config": {"connection_id": str(connection_id)}}}}
        control.set_limits(account_success_per_day=1000)
        results: dict[str, list[float]] = {}
        with (
            tempfile.TemporaryDirectory() as home,
            DagsterInstance.local_temp(home) as instance,
        ):
            for name, target in (
                ("in_process", in_process_job),
                ("multiprocess", multiprocess_job),
            ):
                for _ in range(repeats):
                    started = time.perf_counter()
                    with execute_job(
                        reconstructable(target), instance=instance, run_config=config
                    ) as result:
                        assert result.success, name
                    results.setdefault(name, []).append(time.perf_counter() - started)
        for name, times in results.items():
            print(
                f"{name}: median {statistics.median(times):.2f} s "
                f"(runs: {', '.join(f'{t:.2f}' for t in times)})"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
