"""Pure logic of dispatch: backoff, failure reasons, error classification, outcomes."""

from __future__ import annotations

import pytest
import requests
from dagster_graphql import DagsterGraphQLClientError
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportQueryError,
    TransportServerError,
)

from app.config import Settings
from app.enums import JobStatus
from app.jobs.service import finished_run_outcome, retry_delay_seconds, sync_run_config
from app.providers.dagster import (
    DagsterClient,
    DagsterJobNotFound,
    DagsterPermanentError,
    DagsterPythonError,
    DagsterRunConfigInvalid,
    DagsterUnavailable,
    RunInfo,
)
from app.providers.dagster.client import failure_reason
from tests.support.dagster_proxy import operation_name
from worker.celery_app import celery_config, visibility_timeout_seconds

CLIENT = DagsterClient(
    "http://dagster.internal:3070",
    timeout_seconds=5,
    repository_location="orchestration",
    repository_name="__repository__",
)


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap() -> None:
    settings = Settings(dispatch_backoff_base_seconds=1, dispatch_backoff_max_seconds=60)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (20, 60)]:
        delays = [retry_delay_seconds(attempt, settings) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1  # jittered


def test_default_retries_span_a_few_minutes() -> None:
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    base, cap = defaults["dispatch_backoff_base_seconds"], defaults["dispatch_backoff_max_seconds"]
    retries = defaults["dispatch_max_retries"]
    longest = sum(min(cap, base * 2 ** (attempt - 1)) for attempt in range(1, retries + 1))
    assert 120 <= longest <= 300


def test_visibility_timeout_exceeds_the_longest_retry_countdown() -> None:
    settings = Settings(dispatch_backoff_max_seconds=3000)
    assert visibility_timeout_seconds(settings) > 3000
    config = celery_config(Settings(redis_key_prefix="bankjobs-a:"))
    assert config["broker_transport_options"]["global_keyprefix"] == "bankjobs-a:"
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert config["task_routes"]["jobs.dispatch"] == {"queue": "dispatch"}
    assert config["beat_schedule"]["reconcile-jobs"]["task"] == "jobs.reconcile"


def test_run_config_is_the_sync_scope_resource() -> None:
    assert sync_run_config("c-1") == {  # type: ignore[arg-type]
        "resources": {"sync_scope": {"config": {"connection_id": "c-1"}}}
    }


def test_step_failure_wins_and_dagster_wrappers_are_dropped() -> None:
    events = [
        {"__typename": "RunStartEvent", "message": "Started"},
        {
            "__typename": "ExecutionStepFailureEvent",
            "message": 'Execution of step "extract" failed.',
            "stepKey": "extract",
            "error": {
                "message": "dagster._core.errors.DagsterExecutionStepExecutionError: Error",
                "className": "DagsterExecutionStepExecutionError",
                "causes": [
                    {
                        "message": "app.providers.gocardless.errors.RateLimited: 429: try "
                        "again in 3600 s\n\nStack Trace: ...",
                        "className": "RateLimited",
                    }
                ],
            },
        },
        {
            "__typename": "RunFailureEvent",
            "message": "Execution of run failed. Steps failed: ['extract'].",
            "error": None,
        },
    ]
    assert failure_reason(events) == ("RateLimited: 429: try again in 3600 s", "extract")


def test_failure_raised_with_dagster_failure_keeps_only_its_description() -> None:
    events = [
        {
            "__typename": "ExecutionStepFailureEvent",
            "stepKey": "sync",
            "message": "failed",
            "error": {
                "message": "dagster._core.definitions.events.Failure: Bank said no\n",
                "className": "Failure",
                "causes": [],
            },
        }
    ]
    assert failure_reason(events) == ("Bank said no", "sync")


def test_engine_error_then_run_failure_message() -> None:
    engine = {
        "__typename": "EngineEvent",
        "message": "Caught an unrecoverable error while dequeuing the run.",
        "error": {
            "message": "dagster._core.errors.DagsterCodeLocationLoadError: Failure loading "
            "orchestration\n\nStack Trace:\n  File ...",
            "className": "DagsterCodeLocationLoadError",
            "causes": [],
        },
    }
    run_failure = {"__typename": "RunFailureEvent", "message": "Run timed out", "error": None}
    assert failure_reason([engine, run_failure]) == (
        "DagsterCodeLocationLoadError: Failure loading orchestration",
        None,
    )
    assert failure_reason([run_failure]) == ("Run timed out", None)
    assert failure_reason([{"__typename": "RunStartEvent", "message": "x"}]) is None


@pytest.mark.parametrize(
    ("run", "outcome"),
    [
        (RunInfo("r", "SUCCESS"), (JobStatus.COMPLETED, None)),
        (
            RunInfo("r", "FAILURE", failure_message="boom", failed_step="extract"),
            (JobStatus.FAILED, "boom"),
        ),
        (
            RunInfo("r", "FAILURE", failure_message="Run timed out"),
            (JobStatus.FAILED, "Dagster run failed: Run timed out"),
        ),
        (
            RunInfo("r", "FAILURE"),
            (JobStatus.FAILED, "Dagster run failed (Dagster gave no reason; see the run's logs)"),
        ),
        (RunInfo("r", "CANCELED"), (JobStatus.FAILED, "Dagster run was canceled")),
    ],
)
def test_finished_run_outcomes(run: RunInfo, outcome: tuple[JobStatus, str | None]) -> None:
    assert finished_run_outcome(run) == outcome


@pytest.mark.parametrize("status", ["QUEUED", "STARTING", "STARTED", "CANCELING", "NEW_ONE"])
def test_unfinished_and_unknown_statuses_are_not_done(status: str) -> None:
    assert not RunInfo("r", status).is_finished


def _wrapped(cause: BaseException) -> DagsterGraphQLClientError:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise DagsterGraphQLClientError("Exception occured during execution") from exc
    except DagsterGraphQLClientError as error:
        return error


def _chained(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except Exception as error:
        return error


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (
            _wrapped(_chained(TransportConnectionFailed("x"), requests.ConnectionError("refused"))),
            DagsterUnavailable,
            "cannot connect to Dagster at http://dagster.internal:3070",
        ),
        (
            _wrapped(_chained(TransportConnectionFailed("x"), requests.ReadTimeout("slow"))),
            DagsterUnavailable,
            "did not answer within 5 s",
        ),
        (_wrapped(TransportServerError("bad", 503)), DagsterUnavailable, "answered HTTP 503"),
        (_wrapped(TransportServerError("bad", 404)), DagsterPermanentError, "HTTP 404"),
        (
            _wrapped(TransportQueryError("Cannot query field")),
            DagsterPermanentError,
            "Dagster rejected the query",
        ),
        (
            DagsterGraphQLClientError(
                "RunConfigValidationInvalid",
                [{"message": 'Missing required config entry "sync_scope"'}],
            ),
            DagsterRunConfigInvalid,
            'Dagster rejected the run config: Missing required config entry "sync_scope"',
        ),
        (
            DagsterGraphQLClientError("PipelineNotFoundError", "Could not find Pipeline"),
            DagsterJobNotFound,
            "Dagster has no job 'sync_job' in code location 'orchestration'",
        ),
        (
            DagsterGraphQLClientError("PythonError", "KeyError: 'x'\nTraceback..."),
            DagsterPythonError,
            "Dagster error while trying to launch sync_job: KeyError: 'x'",
        ),
        (
            DagsterGraphQLClientError("RunConflict", "A run with this id exists"),
            DagsterPermanentError,
            "RunConflict: A run with this id exists",
        ),
    ],
)
def test_errors_are_classified(error: Exception, kind: type[Exception], text: str) -> None:
    classified = CLIENT.classify(error, "launch sync_job", job_name="sync_job")
    assert type(classified) is kind
    assert text in classified.message
    assert classified.retryable is (kind is DagsterUnavailable)


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (b'{"query": "mutation GraphQLClientSubmitRun($p: X) { a }"}', "GraphQLClientSubmitRun"),
        (b'{"query": "query Q { a }", "operationName": "Named"}', "Named"),
        (b'{"query": "{ a }"}', "anonymous"),
        (b"not json", "?"),
    ],
)
def test_proxy_names_operations(body: bytes, name: str) -> None:
    assert operation_name(body) == name
