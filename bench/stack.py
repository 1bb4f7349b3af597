"""The processes a benchmark needs, started on demand and stopped on exit.

Built from the integration-test harness (``tests/support``): Dagster webserver and daemon on
the real code location with Postgres storage, the GoCardless emulator, a Celery worker and
beat, and the API served by uvicorn as the Procfile runs it (one process), from
``bench.floor_app`` so the floor endpoint shares the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from contextlib import ExitStack
from pathlib import Path

import redis
from sqlalchemy.engine import make_url

from tests.support.api_server import ApiServer
from tests.support.celery_worker import start_beat, start_worker, wait_worker_ready
from tests.support.dagster import POSTGRES_URL_ENV, DagsterServer, start_dagster
from tests.support.database import create_database, drop_database, migrate
from tests.support.processes import ManagedProcess, python_env
from tests.support.redis_keys import purge_session_keys

REAL_LOCATION_MODULE = "orchestration.definitions"


class Stack:
    """Owns every process and database of one benchmark run."""

    def __init__(self, workdir: Path, base_url: str) -> None:
        self.workdir = workdir
        self.base_url = base_url
        self.cleanup = ExitStack()
        self.database_url = ""
        self.emulator_url: str | None = None
        self.dagster: DagsterServer | None = None
        self.api: ManagedProcess | None = None
        self.api_url = ""
        self.worker: ManagedProcess | None = None
        self.beat: ManagedProcess | None = None
        self._daemon_paused = False

    def close(self) -> None:
        self.cleanup.close()

    # -- databases ----------------------------------------------------------------------------

    def create_app_database(self) -> str:
        """A throw-away database built by the migrations; DATABASE_URL points at it."""
        self.database_url = create_database(self.base_url, prefix="bankjobs_bench")
        self.cleanup.callback(self._drop_app_database)
        os.environ["DATABASE_URL"] = self.database_url
        _refresh_settings()
        migrate(self.database_url)
        return self.database_url

    def _drop_app_database(self) -> None:
        from app.db import get_engine

        get_engine().dispose()
        drop_database(self.database_url)

    # -- emulator -----------------------------------------------------------------------------

    def start_emulator(self) -> str:
        from emulator.testing import api_base_url, run_emulator

        self.emulator_url = self.cleanup.enter_context(run_emulator())
        os.environ["GOCARDLESS_BASE_URL"] = api_base_url(self.emulator_url)
        _refresh_settings()
        return self.emulator_url

    # -- Dagster ------------------------------------------------------------------------------

    def start_dagster(self) -> DagsterServer:
        from app.config import get_settings

        dagster_db = create_database(self.base_url, prefix="bankjobs_bench_dagster")
        self.cleanup.callback(drop_database, dagster_db)
        postgres_url = (
            make_url(dagster_db)
            .set(drivername="postgresql+psycopg2")
            .render_as_string(hide_password=False)
        )
        os.environ[POSTGRES_URL_ENV] = postgres_url
        location = get_settings().dagster_repository_location
        server = start_dagster(
            self.workdir,
            location_name=location,
            env={},
            postgres_url=postgres_url,
            module_name=REAL_LOCATION_MODULE,
        )
        self.cleanup.callback(self._stop_dagster)
        self.dagster = server
        os.environ["DAGSTER_URL"] = server.url
        _refresh_settings()
        return server

    def wait_dagster(self) -> None:
        from app.config import get_settings

        assert self.dagster is not None
        self.dagster.wait_ready(get_settings().dagster_repository_location, timeout=240)

    def _stop_dagster(self) -> None:
        if self.dagster is not None:
            self.resume_daemon()
            self.dagster.stop()
            self.dagster = None

    def stop_dagster(self) -> None:
        self._stop_dagster()

    def pause_daemon(self) -> None:
        """Freeze the Dagster daemon (SIGSTOP): launched runs stay queued and never execute."""
        assert self.dagster is not None
        os.killpg(self.dagster.daemon.pid, signal.SIGSTOP)
        self._daemon_paused = True

    def resume_daemon(self) -> None:
        if self._daemon_paused and self.dagster is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.dagster.daemon.pid, signal.SIGCONT)
        self._daemon_paused = False

    # -- API ----------------------------------------------------------------------------------

    def start_api(self) -> str:
        server = ApiServer("api", self.workdir, {}, app="bench.floor_app:app")
        self.api = server.process
        self.api_url = server.url
        self.cleanup.callback(self.stop_api)
        server.wait_ready(timeout=90)
        return self.api_url

    def stop_api(self) -> None:
        if self.api is not None:
            self.api.stop()
            self.api = None

    # -- Celery -------------------------------------------------------------------------------

    def start_worker_and_beat(self) -> None:
        self.worker = start_worker(self.workdir, python_env())
        self.cleanup.callback(self.stop_worker_and_beat)
        wait_worker_ready(self.worker)
        self.beat = start_beat(self.workdir, python_env())

    def stop_worker_and_beat(self) -> None:
        for process in (self.beat, self.worker):
            if process is not None:
                process.stop()
        self.beat = self.worker = None

    # -- Redis --------------------------------------------------------------------------------

    def purge_queues(self) -> int:
        """Drop the dispatch queue (the messages a worker-less API run left behind)."""
        from app.config import get_settings
        from worker.celery_app import DISPATCH_QUEUE

        settings = get_settings()
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
        keys = list(client.scan_iter(match=f"{settings.redis_key_prefix}{DISPATCH_QUEUE}*"))
        dropped = int(client.delete(*keys)) if keys else 0
        client.close()
        return dropped

    def purge_redis_prefix(self) -> None:
        purge_session_keys()

    def logs(self, lines: int = 30) -> str:
        processes = [self.api, self.worker, self.beat]
        if self.dagster is not None:
            processes += [self.dagster.webserver, self.dagster.daemon]
        return "\n\n".join(
            f"--- {process.name} ---\n{process.tail(lines)}"
            for process in processes
            if process is not None
        )


def settle(seconds: float = 3.0) -> None:
    """Give the machine a moment after starting or stopping processes."""
    time.sleep(seconds)


def _refresh_settings() -> None:
    from app.config import get_settings
    from app.db import get_engine, get_sessionmaker

    get_settings.cache_clear()
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
