"""End to end through the real services: API → Redis → Celery worker → Dagster → beat."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import yaml

from app.connections.models import Connection
from app.enums import JobStatus
from app.jobs.enqueue import enqueue_dispatch
from app.jobs.service import CONNECTION_ID_TAG, JOB_ID_TAG
from tests.dispatch.conftest import (
    DispatchStack,
    Owner,
    create_pending_job,
    load_job,
    runs_tagged,
    wait_for_job,
    wait_for_status,
)
from tests.support.celery_worker import start_flower
from tests.support.dagster_proxy import DagsterProxy
from tests.support.processes import ManagedProcess, free_port, wait_until

pytestmark = pytest.mark.usefixtures("beat")


@pytest.fixture
def proxy(stack: DispatchStack) -> Iterator[DagsterProxy]:
    """The proxy between the app and Dagster, back up and releasing after each test."""
    yield stack.proxy
    stack.proxy.release()
    stack.proxy.up()


@pytest.fixture
def owner(make_owner: Callable[[], Owner]) -> Owner:
    return make_owner()


@pytest.fixture
def connection(owner: Owner, make_connection: Callable[..., Connection]) -> Connection:
    return make_connection(owner.user)


def test_happy_path_post_to_completed(
    stack: DispatchStack, owner: Owner, connection: Connection
) -> None:
    """POST → pending → running (one tagged, scoped run in Dagster) → completed."""
    with stack.api.client(headers=owner.headers) as api:
        posted = api.post(f"/api/connections/{connection.id}/sync")
        assert posted.status_code == 202, posted.text
        job = posted.json()
        assert job["status"] == "pending"
        assert job["entity_type"] == "connection"
        assert job["entity_id"] == str(connection.id)
        job_id = uuid.UUID(job["id"])

        running = wait_for_job(job_id, lambda j: j.dagster_run_id is not None, what="a run id")
        assert running.status in (JobStatus.RUNNING, JobStatus.COMPLETED)
        assert running.started_at is not None
        runs = runs_tagged(stack, JOB_ID_TAG, str(job_id))
        assert [run["runId"] for run in runs] == [running.dagster_run_id]
        tags = {tag["key"]: tag["value"] for tag in runs[0]["tags"]}  # type: ignore[attr-defined]
        assert tags[CONNECTION_ID_TAG] == str(connection.id)
        run_config = yaml.safe_load(str(runs[0]["runConfigYaml"]))
        assert run_config == {
            "resources": {"sync_scope": {"config": {"connection_id": str(connection.id)}}}
        }

        # The browser polls until the job is done.
        def polled_done() -> dict[str, object] | None:
            body: dict[str, object] = api.get(f"/api/jobs/{job_id}").json()
            return body if body["status"] in ("completed", "failed") else None

        done = wait_until(polled_done, timeout=60, interval=0.5, what="job completed")
    assert done["status"] == "completed", done
    assert done["dagster_run_id"] == running.dagster_run_id
    assert str(done["dagster_run_url"]).endswith(f"/runs/{running.dagster_run_id}")
    assert done["completed_at"] is not None
    assert done["error_message"] is None
    assert done["attempts"] == 1


def test_failing_run_fails_the_job_with_dagsters_message(
    stack: DispatchStack, owner: Owner, connection: Connection
) -> None:
    stack.dagster.steer(connection.id, fail="Bank said no: 429 rate limited")
    with stack.api.client(headers=owner.headers) as api:
        job_id = uuid.UUID(api.post(f"/api/connections/{connection.id}/sync").json()["id"])
    # Nobody polls the API: beat's reconcile finishes the job.
    failed = wait_for_status(job_id, JobStatus.FAILED)
    assert failed.error_message == "Bank said no: 429 rate limited"
    assert failed.completed_at is not None


def test_dagster_down_at_dispatch_then_back(
    stack: DispatchStack, proxy: DagsterProxy, owner: Owner, connection: Connection
) -> None:
    proxy.down()
    with stack.api.client(headers=owner.headers) as api:
        posted = api.post(f"/api/connections/{connection.id}/sync")
    assert posted.status_code == 202
    job_id = uuid.UUID(posted.json()["id"])
    retrying = wait_for_job(job_id, lambda j: j.attempts >= 1, what="a failed attempt")
    assert retrying.status is JobStatus.PENDING
    proxy.up()
    completed = wait_for_status(job_id, JobStatus.COMPLETED)
    assert completed.attempts >= 2
    assert [run["runId"] for run in runs_tagged(stack, JOB_ID_TAG, str(job_id))] == [
        completed.dagster_run_id
    ]


def test_dagster_down_for_good_fails_after_bounded_retries(
    stack: DispatchStack, proxy: DagsterProxy, owner: Owner, connection: Connection
) -> None:
    proxy.down()
    with stack.api.client(headers=owner.headers) as api:
        job_id = uuid.UUID(api.post(f"/api/connections/{connection.id}/sync").json()["id"])
    failed = wait_for_status(job_id, JobStatus.FAILED)
    max_retries = int(stack.env["DISPATCH_MAX_RETRIES"])
    assert failed.attempts == max_retries + 1
    assert failed.error_message is not None
    assert failed.error_message.startswith("Dagster unavailable: cannot connect to Dagster at")
    assert failed.dagster_run_id is None
    proxy.up()
    assert runs_tagged(stack, JOB_ID_TAG, str(job_id)) == []


def test_same_dispatch_delivered_twice_at_once_launches_one_run(
    stack: DispatchStack, proxy: DagsterProxy, owner: Owner, connection: Connection
) -> None:
    job = create_pending_job(owner.user, connection)
    # The first delivery holds the job while Dagster answers its launch ...
    proxy.hold(DagsterProxy.LAUNCH)
    assert enqueue_dispatch(job.id)
    assert proxy.held.wait(30)
    # ... and the second delivery of the same message finds the job taken.
    log_before = stack.worker.log().count(f"jobs.dispatch[{job.id}] succeeded")
    assert enqueue_dispatch(job.id)
    wait_until(
        lambda: stack.worker.log().count(f"jobs.dispatch[{job.id}] succeeded") > log_before,
        timeout=30,
        what="the second delivery to finish",
    )
    assert "'skipped'" in stack.worker.log().split(f"jobs.dispatch[{job.id}] succeeded")[-1]
    proxy.release()
    running = wait_for_job(job.id, lambda j: j.dagster_run_id is not None, what="a run id")
    assert [run["runId"] for run in runs_tagged(stack, JOB_ID_TAG, str(job.id))] == [
        running.dagster_run_id
    ]
    assert wait_for_status(job.id, JobStatus.COMPLETED).dagster_run_id == running.dagster_run_id


def test_worker_killed_after_launch_before_db_update_makes_one_run(
    stack: DispatchStack, proxy: DagsterProxy, owner: Owner, connection: Connection
) -> None:
    job = create_pending_job(owner.user, connection)
    proxy.hold(DagsterProxy.LAUNCH)
    assert enqueue_dispatch(job.id)
    # Dagster has created the run; the worker has not heard back yet.
    assert proxy.held.wait(30)
    assert len(runs_tagged(stack, JOB_ID_TAG, str(job.id))) == 1
    pool = stack.worker.children()
    for pid in pool:
        os.kill(pid, signal.SIGKILL)
    proxy.release()
    # Celery hands the message back (task_reject_on_worker_lost); the next delivery adopts
    # the tagged run instead of launching another.
    running = wait_for_job(job.id, lambda j: j.dagster_run_id is not None, what="a run id")
    runs = runs_tagged(stack, JOB_ID_TAG, str(job.id))
    assert [run["runId"] for run in runs] == [running.dagster_run_id]
    assert wait_for_status(job.id, JobStatus.COMPLETED).dagster_run_id == running.dagster_run_id
    assert "WorkerLostError" in stack.worker.log() or "exited with 'signal 9" in stack.worker.log()
    stack.worker.ensure_alive()
    wait_until(
        lambda: set(stack.worker.children()).isdisjoint(pool) and stack.worker.children(),
        timeout=30,
        what="a new worker pool",
    )


def test_redis_down_at_post_answers_quickly_and_the_sweep_dispatches_later(
    stack: DispatchStack, owner: Owner, connection: Connection
) -> None:
    dead_port = free_port()  # nothing listens there
    api = stack.start_api("api-redis-down", REDIS_URL=f"redis://127.0.0.1:{dead_port}/15")
    try:
        with api.client(headers=owner.headers) as client:
            started = time.monotonic()
            posted = client.post(f"/api/connections/{connection.id}/sync")
            elapsed = time.monotonic() - started
    finally:
        api.stop()
    assert posted.status_code == 202, posted.text
    assert elapsed < 2.0, f"POST took {elapsed:.2f} s with Redis down"
    job_id = uuid.UUID(posted.json()["id"])
    assert load_job(job_id).status is JobStatus.PENDING
    # The committed row is the outbox: beat's sweep enqueues it on the working Redis.
    completed = wait_for_status(job_id, JobStatus.COMPLETED)
    assert len(runs_tagged(stack, JOB_ID_TAG, str(job_id))) == 1
    assert completed.attempts == 1


def test_thirty_concurrent_posts_make_one_job(
    stack: DispatchStack, owner: Owner, connection: Connection
) -> None:
    url = f"{stack.api.url}/api/connections/{connection.id}/sync"

    def post(_: int) -> httpx.Response:
        return httpx.post(url, headers=owner.headers, timeout=30)

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(post, range(30)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 29 + [202], [a.text for a in answers if a.status_code >= 300]
    assert len({answer.json()["id"] for answer in answers}) == 1
    job_id = uuid.UUID(answers[0].json()["id"])
    wait_for_status(job_id, JobStatus.COMPLETED)
    assert len(runs_tagged(stack, CONNECTION_ID_TAG, str(connection.id))) == 1
    with stack.api.client(headers=owner.headers) as api:
        listed = api.get("/api/jobs", params={"entity_id": str(connection.id)}).json()["jobs"]
    assert [job["id"] for job in listed] == [str(job_id)]


def test_beat_process_is_running(beat: ManagedProcess) -> None:
    beat.ensure_alive()
    assert "jobs.reconcile" in beat.log()


def test_flower_shows_dispatch_and_reconcile_tasks(
    stack: DispatchStack, owner: Owner, connection: Connection
) -> None:
    port = free_port()
    flower = start_flower(stack.workdir, stack.env, port=port, basic_auth="admin:flower-test")
    try:
        url = f"http://127.0.0.1:{port}"

        def tasks() -> dict[str, dict[str, object]] | None:
            flower.ensure_alive()
            try:
                answer = httpx.get(f"{url}/api/tasks", auth=("admin", "flower-test"), timeout=5)
            except httpx.HTTPError:
                return None
            return answer.json() if answer.status_code == 200 else None

        wait_until(tasks, timeout=60, interval=0.3, what="Flower")
        assert httpx.get(f"{url}/api/tasks", timeout=5).status_code == 401
        with stack.api.client(headers=owner.headers) as api:
            job_id = api.post(f"/api/connections/{connection.id}/sync").json()["id"]

        def seen() -> dict[str, dict[str, object]] | None:
            listed = tasks() or {}
            names = {str(task.get("name")) for task in listed.values()}
            return listed if job_id in listed and "jobs.reconcile" in names else None

        listed = wait_until(seen, timeout=60, interval=0.5, what="tasks in Flower")
        assert listed[job_id]["name"] == "jobs.dispatch"
    finally:
        flower.stop()
