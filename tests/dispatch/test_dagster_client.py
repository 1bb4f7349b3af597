"""The Dagster client against the real webserver (through the recording proxy)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest

from app.config import get_settings
from app.jobs.service import JOB_ID_TAG, SYNC_JOB_NAME, sync_run_config
from app.providers.dagster import (
    DagsterClient,
    DagsterJobNotFound,
    DagsterRunConfigInvalid,
    DagsterUnavailable,
    RunInfo,
    get_dagster_client,
)
from tests.dispatch.conftest import DispatchStack
from tests.support.processes import free_port, wait_until


@pytest.fixture
def client(stack: DispatchStack) -> DagsterClient:
    return get_dagster_client()


def launch(client: DagsterClient, connection_id: uuid.UUID, job_tag: str | None = None) -> str:
    return client.trigger_job(
        SYNC_JOB_NAME,
        sync_run_config(connection_id),
        {JOB_ID_TAG: job_tag or str(uuid.uuid4()), "bankjobs/connection_id": str(connection_id)},
    )


def finished(client: DagsterClient, run_id: str) -> RunInfo:
    def probe() -> RunInfo | None:
        run = client.get_run_status(run_id)
        return run if run is not None and run.is_finished else None

    return wait_until(
        probe,
        timeout=60,
        interval=0.3,
        what=f"run {run_id} to finish",
    )


def test_launch_find_by_tag_and_status(stack: DispatchStack, client: DagsterClient) -> None:
    job_tag = str(uuid.uuid4())
    assert client.find_run_by_tag(JOB_ID_TAG, job_tag) is None
    run_id = launch(client, uuid.uuid4(), job_tag)
    found = client.find_run_by_tag(JOB_ID_TAG, job_tag)
    assert found is not None
    assert found.run_id == run_id
    assert found.job_name == SYNC_JOB_NAME
    assert found.tags[JOB_ID_TAG] == job_tag
    done = finished(client, run_id)
    assert done.succeeded
    assert done.failure_message is None
    assert client.run_url(run_id) == f"{get_settings().dagster_url}/runs/{run_id}"


def test_failed_run_reports_the_step_and_message(
    stack: DispatchStack, client: DagsterClient
) -> None:
    connection_id = uuid.uuid4()
    stack.dagster.steer(connection_id, fail="Account access expired (EUA)")
    run = finished(client, launch(client, connection_id))
    assert run.status == "FAILURE"
    assert run.failure_message == "Account access expired (EUA)"
    assert run.failed_step == "sync_connection"


def test_statuses_of_many_runs_in_one_request_per_batch(
    stack: DispatchStack, client: DagsterClient
) -> None:
    run_ids = [launch(client, uuid.uuid4()) for _ in range(3)]
    unknown = str(uuid.uuid4())
    stack.proxy.reset_counts()
    statuses = client.get_run_statuses([*run_ids, unknown, run_ids[0]], batch_size=2)
    assert set(statuses) == set(run_ids)
    assert stack.proxy.count("BankjobsRunsByIds") == 2  # 4 distinct ids, 2 per request
    assert client.get_run_status(unknown) is None
    assert client.get_run_statuses([]) == {}


def test_terminate_a_queued_or_running_run(stack: DispatchStack, client: DagsterClient) -> None:
    connection_id = uuid.uuid4()
    stack.dagster.steer(connection_id, sleep=120)
    run_id = launch(client, connection_id)
    wait_until(
        lambda: (run := client.get_run_status(run_id)) and run.status == "STARTED",
        timeout=60,
        what="the run to start",
    )
    client.terminate_run(run_id)
    stopped = finished(client, run_id)
    assert stopped.status == "CANCELED"
    client.terminate_run(run_id)  # already finished: nothing to do


def test_invalid_run_config_is_permanent_with_dagsters_reason(client: DagsterClient) -> None:
    with pytest.raises(DagsterRunConfigInvalid) as raised:
        client.trigger_job(SYNC_JOB_NAME, {"ops": {"*": {"config": {"connection_id": "x"}}}}, {})
    assert not raised.value.retryable
    assert raised.value.message.startswith("Dagster rejected the run config: ")
    assert 'unexpected config entry "*"' in raised.value.message


def test_unknown_job_is_permanent(client: DagsterClient) -> None:
    with pytest.raises(DagsterJobNotFound) as raised:
        client.trigger_job("no_such_job", {}, {})
    assert "no job 'no_such_job' in code location 'orchestration'" in raised.value.message


def test_refused_connection_is_retryable() -> None:
    client = DagsterClient(
        f"http://127.0.0.1:{free_port()}",
        timeout_seconds=2,
        repository_location="orchestration",
        repository_name="__repository__",
    )
    with pytest.raises(DagsterUnavailable) as raised:
        client.trigger_job(SYNC_JOB_NAME, {}, {})
    assert raised.value.retryable
    assert raised.value.message.startswith("cannot connect to Dagster at http://127.0.0.1:")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def test_timeout_is_retryable_and_bounded(silent_server: int) -> None:
    client = DagsterClient(
        f"http://127.0.0.1:{silent_server}",
        timeout_seconds=0.5,
        repository_location="orchestration",
        repository_name="__repository__",
    )
    with pytest.raises(DagsterUnavailable) as raised:
        client.get_run_statuses([str(uuid.uuid4())])
    assert "did not answer within 0.5 s" in raised.value.message


def test_http_5xx_is_retryable(stack: DispatchStack, client: DagsterClient) -> None:
    stack.proxy.answer_with(502)
    try:
        with pytest.raises(DagsterUnavailable) as raised:
            launch(client, uuid.uuid4())
    finally:
        stack.proxy.answer_with(None)
    assert "answered HTTP 502" in raised.value.message
