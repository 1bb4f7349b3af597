"""The dispatch test stack: real Dagster (webserver + daemon) behind a recording proxy, a real
Celery worker on this session's Redis key prefix, and the API as a uvicorn process.

Started once per session, on demand, by the tests that need it. The test process and every
child use the same settings: fast retries and sweeps, and Dagster reached through the proxy.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.config import get_settings
from app.connections.models import Connection
from app.db import session_scope
from app.enums import ConnectionStatus, EntityType, JobStatus, JobType
from app.jobs import repository
from app.jobs.models import Job
from app.users.models import User
from tests.conftest import TEST_DATABASE_URL, auth_headers_for, make_user
from tests.support.api_server import ApiServer
from tests.support.celery_worker import start_beat, start_worker, wait_worker_ready
from tests.support.dagster import POSTGRES_URL_ENV, DagsterServer, start_dagster
from tests.support.dagster_proxy import DagsterProxy
from tests.support.database import create_database, drop_database
from tests.support.processes import ManagedProcess, free_port, wait_until
from tests.support.redis_keys import purge_session_keys

# Retries and sweeps in seconds rather than minutes; every process of the session uses them.
FAST_SETTINGS = {
    "DISPATCH_MAX_RETRIES": "5",
    "DISPATCH_BACKOFF_BASE_SECONDS": "0.3",
    "DISPATCH_BACKOFF_MAX_SECONDS": "1.5",
    "PENDING_REDISPATCH_AFTER_SECONDS": "2",
    "RECONCILE_INTERVAL_SECONDS": "1",
    "DAGSTER_TIMEOUT_SECONDS": "5",
    "DAGSTER_LIVE_CHECK_TIMEOUT_SECONDS": "1",
    "ENQUEUE_TIMEOUT_SECONDS": "1",
}

WAIT = 60.0  # upper bound for anything the stack does on its own (not a timing assertion)


@dataclass
class DispatchStack:
    workdir: Path
    env: dict[str, str]
    dagster: DagsterServer
    proxy: DagsterProxy
    worker: ManagedProcess
    api: ApiServer

    def start_api(self, name: str, **overrides: str) -> ApiServer:
        server = ApiServer(name, self.workdir, {**self.env, **overrides})
        server.wait_ready()
        return server


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DispatchStack]:
    """The stack lives as long as this package's tests: another package's stack (browser,
    end-to-end) shares the database and Redis prefix, and must not overlap with it."""
    workdir = tmp_path_factory.mktemp("dispatch-stack")
    location = get_settings().dagster_repository_location
    saved = {key: os.environ.get(key) for key in [*FAST_SETTINGS, "DAGSTER_URL", POSTGRES_URL_ENV]}
    purge_session_keys()
    with ExitStack() as cleanup:
        cleanup.callback(_restore_env, saved)
        cleanup.callback(purge_session_keys)
        dagster_db = create_database(TEST_DATABASE_URL, prefix="bankjobs_dagster_test")
        cleanup.callback(drop_database, dagster_db)
        postgres_url = make_url(dagster_db).set(drivername="postgresql+psycopg2")
        os.environ[POSTGRES_URL_ENV] = postgres_url.render_as_string(hide_password=False)
        dagster = start_dagster(
            workdir,
            location_name=location,
            env=dict(FAST_SETTINGS),
            postgres_url=os.environ[POSTGRES_URL_ENV],
        )
        cleanup.callback(dagster.stop)
        proxy = DagsterProxy(dagster.url, free_port())
        proxy.up()
        cleanup.callback(proxy.close)
        env = {**FAST_SETTINGS, "DAGSTER_URL": proxy.url}
        os.environ.update(env)
        get_settings.cache_clear()
        worker = start_worker(workdir, env)
        cleanup.callback(worker.stop)
        api = ApiServer("api", workdir, env)
        cleanup.callback(api.stop)
        dagster.wait_ready(location)
        wait_worker_ready(worker)
        api.wait_ready()
        yield DispatchStack(workdir, env, dagster, proxy, worker, api)


def _restore_env(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def beat(stack: DispatchStack) -> Iterator[ManagedProcess]:
    """Celery beat, reconciling every second, for the tests of one module."""
    process = start_beat(stack.workdir, stack.env)
    yield process
    process.stop()


# -- data that other processes can see -----------------------------------------------------------


@dataclass
class Owner:
    user: User
    headers: dict[str, str]


@pytest.fixture
def make_owner(committed_db: None) -> Callable[[], Owner]:
    def _make() -> Owner:
        with session_scope() as session:
            user = make_user(session)
        return Owner(user, auth_headers_for(user))

    return _make


@pytest.fixture
def make_connection(
    committed_db: None,
) -> Callable[..., Connection]:
    def _make(user: User, status: ConnectionStatus = ConnectionStatus.ACTIVE) -> Connection:
        with session_scope() as session:
            connection = Connection(
                user_id=user.id,
                institution_id="SANDBOXFINANCE_SFIN0000",
                institution_name="Sandbox Finance",
                reference=secrets.token_urlsafe(16),
                status=status,
            )
            session.add(connection)
        return connection

    return _make


def create_pending_job(user: User, connection: Connection) -> Job:
    """A committed pending sync job, not enqueued."""
    with session_scope() as session:
        job, created = repository.create_job(
            session, user.id, JobType.SYNC, EntityType.CONNECTION, connection.id
        )
        assert created
    return job


def load_job(job_id: uuid.UUID) -> Job:
    with session_scope() as session:
        job = session.execute(select(Job).where(Job.id == job_id)).scalar_one()
        session.expunge(job)
    return job


def wait_for_job(
    job_id: uuid.UUID,
    predicate: Callable[[Job], bool],
    *,
    what: str,
    timeout: float = WAIT,
) -> Job:
    return wait_until(
        lambda: job if predicate(job := load_job(job_id)) else None,
        timeout=timeout,
        interval=0.1,
        what=what,
    )


def wait_for_status(job_id: uuid.UUID, status: JobStatus, timeout: float = WAIT) -> Job:
    return wait_for_job(
        job_id, lambda job: job.status is status, what=f"job {status}", timeout=timeout
    )


_RUNS_BY_TAG = """
query ($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) {
  ... on Runs { results { runId status tags { key value } runConfigYaml } } } }
"""


def runs_tagged(stack: DispatchStack, key: str, value: str) -> list[dict[str, object]]:
    """Runs with a tag, asked of the Dagster webserver directly (not through the proxy)."""
    answer = httpx.post(
        f"{stack.dagster.url}/graphql",
        json={"query": _RUNS_BY_TAG, "variables": {"tags": [{"key": key, "value": value}]}},
        timeout=10,
    ).json()
    runs: list[dict[str, object]] = answer["data"]["runsOrError"]["results"]
    return runs


def dagster_instance(stack: DispatchStack) -> DagsterInstance:
    """The test Dagster's instance, opened in this process (dispose it after use)."""
    return DagsterInstance.from_config(str(stack.dagster.home))


def add_dagster_run(
    instance: DagsterInstance, status: DagsterRunStatus, *, failure: str | None = None
) -> str:
    """A run written straight into Dagster's storage; ``failure`` reports it failed so."""
    run = DagsterRun(
        job_name="gocardless_connection_sync_job",
        run_id=str(uuid.uuid4()),
        status=DagsterRunStatus.STARTED if failure else status,
        tags={"bankjobs/test": "synthetic"},
    )
    instance.add_run(run)
    if failure:
        instance.report_run_failed(run, failure)
    return run.run_id
