"""The reconciler against the real Dagster webserver, run in this process (no beat here)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from dagster import DagsterRunStatus
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.connections.models import Connection
from app.db import session_scope, utcnow
from app.enums import EntityType, JobStatus, JobType
from app.jobs import repository
from app.jobs.models import Job
from app.jobs.service import JOB_ID_TAG, SYNC_JOB_NAME, ReconcileReport, sync_run_config
from app.jobs.tasks import reconcile
from app.providers.dagster import get_dagster_client
from app.users.models import User
from tests.conftest import make_user
from tests.dispatch.conftest import (
    DispatchStack,
    Owner,
    add_dagster_run,
    create_pending_job,
    dagster_instance,
    load_job,
    wait_for_status,
)
from tests.support.dagster_proxy import DagsterProxy
from tests.support.processes import wait_until

STATUS_READS = ("BankjobsRunsByIds",)
FAILURE_READS = ("BankjobsRunFailures",)


@dataclass
class SyntheticRuns:
    """Runs written straight into the test Dagster's storage, by final status."""

    success: list[str]
    failure: list[str]  # each with a run failure event "Synthetic failure <n>"
    canceled: list[str]
    in_progress: list[str]  # NOT_STARTED / MANAGED: not finished

    def all(self) -> list[str]:
        return self.success + self.failure + self.canceled + self.in_progress


@pytest.fixture(scope="module")
def synthetic_runs(stack: DispatchStack) -> SyntheticRuns:
    instance = dagster_instance(stack)

    def add_all(status: DagsterRunStatus, count: int) -> list[str]:
        # Each run is written over its own connection: spread them over a few threads.
        with ThreadPoolExecutor(max_workers=6) as pool:
            return list(pool.map(lambda _: add_dagster_run(instance, status), range(count)))

    def failed(number: int) -> str:
        return add_dagster_run(
            instance, DagsterRunStatus.FAILURE, failure=f"Synthetic failure {number}"
        )

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            failures = list(pool.map(failed, range(80)))
        return SyntheticRuns(
            success=add_all(DagsterRunStatus.SUCCESS, 700),
            failure=failures,
            canceled=add_all(DagsterRunStatus.CANCELED, 20),
            # Unfinished, yet holding no slot of the run queue.
            in_progress=add_all(DagsterRunStatus.NOT_STARTED, 100)
            + add_all(DagsterRunStatus.MANAGED, 100),
        )
    finally:
        instance.dispose()


@pytest.fixture
def owner(committed_db: None) -> User:
    with session_scope() as session:
        return make_user(session)


def add_running_jobs(
    user: User, run_ids: list[str], *, started_ago: float = 1.0
) -> list[uuid.UUID]:
    """Committed running jobs, one per run id (each for its own entity)."""
    started = utcnow() - timedelta(seconds=started_ago)
    jobs = [
        Job(
            id=uuid.uuid4(),
            job_type=JobType.SYNC,
            status=JobStatus.RUNNING,
            user_id=user.id,
            entity_type=EntityType.CONNECTION,
            entity_id=uuid.uuid4(),
            dagster_run_id=run_id,
            attempts=1,
            created_at=started,
            started_at=started,
        )
        for run_id in run_ids
    ]
    with session_scope() as session:
        session.add_all(jobs)
    return [job.id for job in jobs]


def statuses_by_run(run_ids: list[str]) -> dict[str, tuple[JobStatus, str | None]]:
    with session_scope() as session:
        rows = session.execute(
            select(Job.dagster_run_id, Job.status, Job.error_message).where(
                Job.dagster_run_id.in_(run_ids)
            )
        ).all()
    return {run_id: (status, message) for run_id, status, message in rows}


def test_reconcile_of_1000_running_jobs_makes_a_handful_of_requests(
    stack: DispatchStack, synthetic_runs: SyntheticRuns, owner: User
) -> None:
    run_ids = synthetic_runs.all()
    assert len(run_ids) == 1000
    add_running_jobs(owner, run_ids)
    stack.proxy.reset_counts()
    started = time.monotonic()
    report = reconcile()
    elapsed = time.monotonic() - started
    batches = 1000 // get_settings().reconcile_batch_size
    status_reads = stack.proxy.count(*STATUS_READS)
    failure_reads = stack.proxy.count(*FAILURE_READS)
    print(
        f"\nreconcile of 1000 running jobs: {elapsed:.2f} s, {status_reads} status requests, "
        f"{failure_reads} failure-detail requests"
    )
    assert status_reads == batches
    assert failure_reads <= batches
    assert sum(stack.proxy.counts.values()) == status_reads + failure_reads

    assert report.checked == 1000
    assert report.completed == 700
    assert report.failed == 100
    assert report.transitions == 800
    assert report.vanished == report.timed_out == 0
    outcome = statuses_by_run(run_ids)
    assert {outcome[run_id] for run_id in synthetic_runs.success} == {(JobStatus.COMPLETED, None)}
    assert {outcome[run_id][0] for run_id in synthetic_runs.in_progress} == {JobStatus.RUNNING}
    assert {outcome[run_id] for run_id in synthetic_runs.canceled} == {
        (JobStatus.FAILED, "Dagster run was canceled")
    }
    assert outcome[synthetic_runs.failure[7]] == (
        JobStatus.FAILED,
        "Dagster run failed: Synthetic failure 7",
    )


def test_two_reconcilers_at_once_move_each_job_once(
    stack: DispatchStack, synthetic_runs: SyntheticRuns, owner: User
) -> None:
    run_ids = (
        synthetic_runs.success[:200] + synthetic_runs.failure[:40] + synthetic_runs.in_progress[:60]
    )
    add_running_jobs(owner, run_ids)
    settings = get_settings().model_copy(update={"reconcile_batch_size": 25})
    reports: list[ReconcileReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            reports.append(reconcile(settings))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(report.transitions for report in reports) == 240
    assert sum(report.completed for report in reports) == 200
    assert sum(report.failed for report in reports) == 40
    outcome = statuses_by_run(run_ids)
    assert sum(1 for status, _ in outcome.values() if status is JobStatus.COMPLETED) == 200
    assert sum(1 for status, _ in outcome.values() if status is JobStatus.RUNNING) == 60


def test_vanished_run_fails_the_job(stack: DispatchStack, owner: User) -> None:
    missing = str(uuid.uuid4())
    [job_id] = add_running_jobs(owner, [missing])
    report = reconcile()
    assert report.vanished == 1
    job = load_job(job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_message == f"Dagster run {missing} no longer exists in Dagster"


def test_job_over_max_runtime_fails_and_its_run_is_stopped(
    stack: DispatchStack, owner: User
) -> None:
    connection_id = uuid.uuid4()
    stack.dagster.steer(connection_id, sleep=120)
    client = get_dagster_client()
    job_tag = str(uuid.uuid4())
    run_id = client.trigger_job(
        SYNC_JOB_NAME, sync_run_config(connection_id), {JOB_ID_TAG: job_tag}
    )
    wait_until(
        lambda: (run := client.get_run_status(run_id)) and run.status == "STARTED",
        timeout=60,
        what="the run to start",
    )
    max_runtime = get_settings().job_max_runtime_seconds
    [job_id] = add_running_jobs(owner, [run_id], started_ago=max_runtime + 60)
    report = reconcile()
    assert report.timed_out == 1
    job = load_job(job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_message == (
        "Sync ran longer than the maximum of 30 min; its Dagster run was stopped"
    )
    stopped = wait_until(
        lambda: (run := client.get_run_status(run_id)) and run.status in ("CANCELING", "CANCELED"),
        timeout=60,
        what="the run to be stopped",
    )
    assert stopped


def test_dagster_down_leaves_running_jobs_alone(
    stack: DispatchStack, synthetic_runs: SyntheticRuns, owner: User
) -> None:
    [job_id] = add_running_jobs(owner, [synthetic_runs.success[0]])
    stack.proxy.down()
    try:
        report = reconcile()
    finally:
        stack.proxy.up()
    assert report.dagster_errors and "cannot connect to Dagster" in report.dagster_errors[0]
    assert report.transitions == 0
    assert load_job(job_id).status is JobStatus.RUNNING
    # Back up: the next pass finishes it.
    assert reconcile().completed == 1
    assert load_job(job_id).status is JobStatus.COMPLETED


def test_dagster_5xx_counts_as_unavailable(
    stack: DispatchStack, synthetic_runs: SyntheticRuns, owner: User
) -> None:
    [job_id] = add_running_jobs(owner, [synthetic_runs.success[1]])
    stack.proxy.answer_with(503)
    try:
        report = reconcile()
    finally:
        stack.proxy.answer_with(None)
    assert report.dagster_errors and "answered HTTP 503" in report.dagster_errors[0]
    assert load_job(job_id).status is JobStatus.RUNNING


# -- the pending sweep ------------------------------------------------------------------------


def _pending(session: Session, user: User, *, attempts: int, idle: float) -> Job:
    job, _ = repository.create_job(
        session, user.id, JobType.SYNC, EntityType.CONNECTION, uuid.uuid4()
    )
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(attempts=attempts, updated_at=utcnow() - timedelta(seconds=idle))
    )
    return job


def test_stale_pending_selection_respects_retry_backoff(db_session: Session) -> None:
    user = make_user(db_session)
    lost = _pending(db_session, user, attempts=0, idle=31)
    fresh = _pending(db_session, user, attempts=0, idle=5)
    # Attempt 4 waits up to min(60, 1 * 2**3) = 8 s for its retry: 30 s idle beyond that.
    in_backoff = _pending(db_session, user, attempts=4, idle=35)
    backoff_over = _pending(db_session, user, attempts=4, idle=39)
    capped = _pending(db_session, user, attempts=9, idle=91)  # 60 s cap (not 256 s) + 30 s
    now = utcnow()

    def claim() -> set[uuid.UUID]:
        return set(
            repository.claim_stale_pending_jobs(
                db_session,
                now=now,
                idle_seconds=30,
                backoff_base_seconds=1,
                backoff_max_seconds=60,
                limit=100,
            )
        )

    claimed = claim()
    assert claimed == {lost.id, backoff_over.id, capped.id}
    assert fresh.id not in claimed and in_backoff.id not in claimed
    # Claiming touched them: the next sweep leaves them alone.
    assert claim() == set()


def test_stale_pending_job_is_dispatched_again(
    stack: DispatchStack,
    make_owner: Callable[[], Owner],
    make_connection: Callable[..., Connection],
) -> None:
    owner = make_owner()
    connection = make_connection(owner.user)
    job = create_pending_job(owner.user, connection)  # committed, never enqueued
    idle = get_settings().pending_redispatch_after_seconds + 1
    with session_scope() as session:
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(updated_at=utcnow() - timedelta(seconds=idle))
        )
    report = reconcile()
    assert report.redispatched == 1
    running = wait_for_status(job.id, JobStatus.RUNNING)
    assert running.attempts == 1
    # No beat in this module: reconcile by hand until the run is done.
    completed = wait_until(
        lambda: reconcile().completed == 1 and load_job(job.id), timeout=60, what="completed"
    )
    assert completed.status is JobStatus.COMPLETED
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_proxy_counts_by_operation(stack: DispatchStack) -> None:
    stack.proxy.reset_counts()
    get_dagster_client().get_run_statuses([str(uuid.uuid4())])
    assert stack.proxy.count(*STATUS_READS) == 1
    assert isinstance(stack.proxy, DagsterProxy)
