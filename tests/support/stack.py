"""The whole stack as real processes, for browser tests and benchmarks.

The API (serving the built frontend at the same origin), the GoCardless emulator, a Dagster
webserver and daemon loading the real ``orchestration.definitions``, a Celery worker and
beat. Every process shares the caller's database (``DATABASE_URL``) and Redis key prefix, so
two stacks must not run at once: their reconcilers would judge each other's jobs against the
wrong Dagster. Fixtures scope a stack to one package or module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from app.config import get_settings
from emulator.testing import EmulatorControl, api_base_url, run_emulator
from tests.support.api_server import ApiServer
from tests.support.celery_worker import start_beat, start_worker, wait_worker_ready
from tests.support.dagster import POSTGRES_URL_ENV, DagsterServer, start_dagster
from tests.support.database import create_database, drop_database
from tests.support.processes import ManagedProcess, free_port
from tests.support.redis_keys import purge_session_keys

REAL_LOCATION_MODULE = "orchestration.definitions"

# Sweeps and retries in seconds rather than minutes, for every process of the stack.
STACK_SETTINGS = {
    "RECONCILE_INTERVAL_SECONDS": "1",
    "PENDING_REDISPATCH_AFTER_SECONDS": "5",
    "DISPATCH_BACKOFF_BASE_SECONDS": "0.5",
    "DISPATCH_BACKOFF_MAX_SECONDS": "2",
    "DAGSTER_LIVE_CHECK_TIMEOUT_SECONDS": "1",
}


@dataclass
class LiveStack:
    workdir: Path
    env: dict[str, str]
    api: ApiServer
    emulator: EmulatorControl
    emulator_url: str
    dagster: DagsterServer
    worker: ManagedProcess
    beat: ManagedProcess

    @property
    def url(self) -> str:
        return self.api.url

    def logs(self, lines: int = 60) -> str:
        parts = [
            self.api.process,
            self.worker,
            self.beat,
            self.dagster.webserver,
            self.dagster.daemon,
        ]
        return "\n\n".join(f"--- {p.name} ---\n{p.tail(lines)}" for p in parts)


@contextmanager
def run_stack(
    workdir: Path, *, emulator_url: str | None = None, **overrides: str
) -> Iterator[LiveStack]:
    """Start every process, wait until each answers, and stop them all on exit.

    ``emulator_url``: use that running emulator instead of starting one.
    """
    database_url = os.environ["DATABASE_URL"]
    location = get_settings().dagster_repository_location
    purge_session_keys()
    with ExitStack() as cleanup:
        # Last out: messages the workers left behind must not reach the next stack.
        cleanup.callback(purge_session_keys)
        dagster_db = create_database(database_url, prefix="bankjobs_dagster_stack")
        cleanup.callback(drop_database, dagster_db)
        postgres_url = (
            make_url(dagster_db)
            .set(drivername="postgresql+psycopg2")
            .render_as_string(hide_password=False)
        )
        previous = os.environ.get(POSTGRES_URL_ENV)
        os.environ[POSTGRES_URL_ENV] = postgres_url  # the instance config reads it here too
        cleanup.callback(_restore, POSTGRES_URL_ENV, previous)
        if emulator_url is None:
            emulator_url = cleanup.enter_context(run_emulator())
        api_port = free_port()
        api_url = f"http://127.0.0.1:{api_port}"
        dagster = start_dagster(
            workdir,
            location_name=location,
            env={**STACK_SETTINGS, "GOCARDLESS_BASE_URL": api_base_url(emulator_url), **overrides},
            postgres_url=postgres_url,
            module_name=REAL_LOCATION_MODULE,
        )
        cleanup.callback(dagster.stop)
        env = {
            **STACK_SETTINGS,
            "DAGSTER_URL": dagster.url,
            POSTGRES_URL_ENV: postgres_url,
            "GOCARDLESS_BASE_URL": api_base_url(emulator_url),
            "FRONTEND_URL": api_url,
            **overrides,
        }
        worker = start_worker(workdir, env)
        cleanup.callback(worker.stop)
        api = ApiServer("api", workdir, env, port=api_port)
        cleanup.callback(api.stop)
        dagster.wait_ready(location)
        wait_worker_ready(worker)
        api.wait_ready()
        beat = start_beat(workdir, env)
        cleanup.callback(beat.stop)
        yield LiveStack(
            workdir=workdir,
            env=env,
            api=api,
            emulator=EmulatorControl(emulator_url),
            emulator_url=emulator_url,
            dagster=dagster,
            worker=worker,
            beat=beat,
        )


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
