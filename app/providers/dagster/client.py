"""A small Dagster client on dagster-graphql: launch runs, read their status, stop them.

Every failure surfaces as a :class:`~app.providers.dagster.errors.DagsterError`:
``DagsterUnavailable`` (connection refused, HTTP 5xx, timeout: worth retrying) or a
``DagsterPermanentError`` subclass (bad run config, unknown job, Python error in Dagster),
each with a message a user can read.

A client instance is not thread-safe (the underlying transport holds one HTTP session per
call); make one per unit of work with :func:`get_dagster_client`, which is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError, TransportServerError
from gql.transport.requests import RequestsHTTPTransport

from app.config import Settings, get_settings
from app.providers.dagster import queries
from app.providers.dagster.errors import (
    DagsterError,
    DagsterJobNotFound,
    DagsterPermanentError,
    DagsterPythonError,
    DagsterRunConfigInvalid,
    DagsterRunNotFound,
    DagsterUnavailable,
)

# Dagster run statuses (DagsterRunStatus values). Anything else is treated as not finished.
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
CANCELED = "CANCELED"
TERMINAL_STATUSES = frozenset({SUCCESS, FAILURE, CANCELED})

DEFAULT_BATCH_SIZE = 200
_FAILURE_DETAIL_BATCH_SIZE = 50
_MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What the client knows about one Dagster run."""

    run_id: str
    status: str
    job_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    # Why a FAILURE or CANCELED run ended, from Dagster's events, when it says.
    failure_message: str | None = None
    failed_step: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCESS


class DagsterClient:
    """Talks to one Dagster webserver's GraphQL endpoint."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        repository_location: str,
        repository_name: str,
        public_url: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.public_url = (public_url or url).rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.repository_location = repository_location
        self.repository_name = repository_name
        self._graphql_url = self.url + "/graphql"
        # requests accepts a float timeout; gql's annotation says int.
        self._transport = RequestsHTTPTransport(
            url=self._graphql_url,
            timeout=timeout_seconds,  # type: ignore[arg-type]
            retries=0,
        )
        self._gql = Client(transport=self._transport)
        self._dagster = DagsterGraphQLClient(
            urlsplit(self.url).hostname or "localhost", transport=self._transport
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, timeout_seconds: float | None = None
    ) -> DagsterClient:
        return cls(
            settings.dagster_url,
            timeout_seconds=timeout_seconds or settings.dagster_timeout_seconds,
            repository_location=settings.dagster_repository_location,
            repository_name=settings.dagster_repository_name,
            public_url=settings.dagster_public_url,
        )

    def run_url(self, run_id: str) -> str:
        """The run's page in the Dagster UI, as browsers reach it."""
        return f"{self.public_url}/runs/{run_id}"

    # -- launching and stopping -------------------------------------------------------------

    def trigger_job(
        self, job_name: str, run_config: Mapping[str, Any], tags: Mapping[str, str]
    ) -> str:
        """Launch ``job_name`` with ``run_config`` and ``tags``; returns the new run id."""
        try:
            run_id: str = self._dagster.submit_job_execution(
                job_name,
                repository_location_name=self.repository_location,
                repository_name=self.repository_name,
                run_config=dict(run_config),
                tags=dict(tags),
            )
        except DagsterGraphQLClientError as exc:
            self._raise_classified(exc, f"launch {job_name}", job_name=job_name)
        return run_id

    def terminate_run(self, run_id: str) -> None:
        """Ask Dagster to stop a run; a run that already finished is left as it is."""
        try:
            self._dagster.terminate_run(run_id)
        except DagsterGraphQLClientError as exc:
            if exc.args and exc.args[0] == "TerminateRunFailure":
                return  # already finished or cannot be terminated any more
            self._raise_classified(exc, f"terminate run {run_id}")

    # -- reading runs -----------------------------------------------------------------------

    def get_run_status(self, run_id: str) -> RunInfo | None:
        """One run's status (and failure reason when it failed); ``None`` if no such run."""
        return self.get_run_statuses([run_id]).get(run_id)

    def get_run_statuses(
        self,
        run_ids: Iterable[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        with_failure_details: bool = True,
    ) -> dict[str, RunInfo]:
        """Many runs' statuses: one ``runsOrError`` request per ``batch_size`` run ids.

        Runs Dagster does not know are absent from the result. With
        ``with_failure_details``, runs that ended in FAILURE or CANCELED get their reason from
        one more request per batch of such runs (their event logs), so a reconcile of many
        healthy runs costs one request per batch.
        """
        unique = list(dict.fromkeys(run_ids))
        found: dict[str, RunInfo] = {}
        for chunk in _chunks(unique, batch_size):
            data = self._query(
                queries.RUNS_BY_IDS_QUERY,
                {"runIds": chunk, "limit": len(chunk)},
                "BankjobsRunsByIds",
                action="read run statuses",
            )
            for run in _runs_of(data):
                info = _run_info(run)
                if info.run_id in chunk:
                    found[info.run_id] = info
        if with_failure_details:
            failed = [info.run_id for info in found.values() if info.status in (FAILURE, CANCELED)]
            for run_id, (message, step) in self._failure_reasons(failed).items():
                found[run_id] = replace(found[run_id], failure_message=message, failed_step=step)
        return found

    def find_run_by_tag(self, key: str, value: str) -> RunInfo | None:
        """The newest run tagged ``key=value``, or ``None``."""
        data = self._query(
            queries.RUNS_BY_TAG_QUERY,
            {"tags": [{"key": key, "value": value}], "limit": 1},
            "BankjobsRunsByTag",
            action="look up runs",
        )
        runs = _runs_of(data)
        return _run_info(runs[0]) if runs else None

    def _failure_reasons(self, run_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        reasons: dict[str, tuple[str, str | None]] = {}
        for chunk in _chunks(list(run_ids), _FAILURE_DETAIL_BATCH_SIZE):
            data = self._query(
                queries.RUN_FAILURES_QUERY,
                {"runIds": chunk, "limit": len(chunk)},
                "BankjobsRunFailures",
                action="read run failures",
            )
            for run in _runs_of(data):
                events = (run.get("eventConnection") or {}).get("events") or []
                reason = failure_reason(events)
                if reason is not None:
                    reasons[run["runId"]] = reason
        return reasons

    # -- transport --------------------------------------------------------------------------

    def _query(
        self, document: str, variables: dict[str, Any], operation: str, *, action: str
    ) -> dict[str, Any]:
        request = GraphQLRequest(document, variable_values=variables, operation_name=operation)
        try:
            result: dict[str, Any] = self._gql.execute(request)
        except Exception as exc:  # every transport failure is classified below
            self._raise_classified(exc, action)
        return result

    def _raise_classified(
        self, exc: Exception, action: str, *, job_name: str | None = None
    ) -> NoReturn:
        raise self.classify(exc, action, job_name=job_name) from exc

    def classify(
        self, exc: BaseException, action: str, *, job_name: str | None = None
    ) -> DagsterError:
        """Turn a dagster-graphql / gql / requests exception into a DagsterError."""
        if isinstance(exc, DagsterGraphQLClientError) and exc.__cause__ is None:
            return self._classify_answer(exc, action, job_name)
        where = f"Dagster at {self.url}"
        chain = list(_exception_chain(exc))
        for cause in chain:
            if isinstance(cause, requests.exceptions.Timeout | TimeoutError):
                return DagsterUnavailable(
                    f"{where} did not answer within {self.timeout_seconds:g} s (tried to {action})"
                )
            if isinstance(cause, requests.exceptions.ConnectionError | ConnectionError):
                return DagsterUnavailable(f"cannot connect to {where} (tried to {action})")
            if isinstance(cause, TransportServerError):
                code = cause.code
                if code is None or code >= 500 or code in (408, 429):
                    return DagsterUnavailable(f"{where} answered HTTP {code} (tried to {action})")
                return DagsterPermanentError(
                    f"{where} refused the request with HTTP {code} (tried to {action})"
                )
            if isinstance(cause, TransportQueryError):
                return DagsterPermanentError(f"Dagster rejected the query to {action}: {cause}")
        last = chain[-1]
        return DagsterUnavailable(
            f"{where} failed: {type(last).__name__}: {_first(last)} (tried to {action})"
        )

    def _classify_answer(
        self, exc: DagsterGraphQLClientError, action: str, job_name: str | None
    ) -> DagsterError:
        kind = str(exc.args[0]) if exc.args else "Error"
        detail = exc.args[1] if len(exc.args) > 1 else None
        if kind in ("RunConfigValidationInvalid", "PipelineConfigValidationInvalid"):
            reasons = _config_errors(detail)
            return DagsterRunConfigInvalid(f"Dagster rejected the run config: {reasons}")
        if kind in ("JobNotFoundError", "PipelineNotFoundError"):
            return DagsterJobNotFound(
                f"Dagster has no job {job_name or ''!r} in code location "
                f"{self.repository_location!r} (repository {self.repository_name!r})"
            )
        if kind in ("RunNotFoundError", "PipelineRunNotFoundError"):
            return DagsterRunNotFound(f"Dagster has no such run ({detail})")
        if kind == "PythonError":
            return DagsterPythonError(f"Dagster error while trying to {action}: {_first(detail)}")
        return DagsterPermanentError(f"Dagster refused to {action}: {kind}: {_first(detail)}")


def get_dagster_client(
    settings: Settings | None = None, *, timeout_seconds: float | None = None
) -> DagsterClient:
    return DagsterClient.from_settings(settings or get_settings(), timeout_seconds=timeout_seconds)


def failure_reason(events: Sequence[Mapping[str, Any]]) -> tuple[str, str | None] | None:
    """Why a run failed, from its events: ``(message, step key or None)``.

    The first failed step's error wins (the user's exception, unwrapped); then an engine
    error (e.g. the code location failed to load); then the run failure event itself.
    """
    step_failure: tuple[str, str | None] | None = None
    engine_error: str | None = None
    run_failure: str | None = None
    for event in events:
        kind = event.get("__typename")
        error = event.get("error")
        if kind == "ExecutionStepFailureEvent" and step_failure is None:
            step_message = _error_message(error) or str(event.get("message") or "")
            step_failure = (step_message, event.get("stepKey"))
        elif kind == "EngineEvent" and error and engine_error is None:
            engine_error = _error_message(error)
        elif kind == "RunFailureEvent":
            run_failure = _error_message(error) or str(event.get("message") or "") or None
        elif kind == "RunCanceledEvent" and run_failure is None:
            run_failure = str(event.get("message") or "") or None
    if step_failure is not None and step_failure[0]:
        return step_failure
    other = engine_error or run_failure
    return (other, None) if other else None


def _error_message(error: Mapping[str, Any] | None) -> str:
    """The innermost exception's message, without Dagster's module-qualified wrappers.

    ``dagster._core.definitions.events.Failure: msg`` becomes ``msg``;
    ``mypkg.errors.BankError: boom`` becomes ``BankError: boom``; a stack trace is dropped.
    """
    if not error:
        return ""
    causes = error.get("causes") or []
    innermost = causes[-1] if causes else error
    text = str(innermost.get("message") or "").strip().split("\n\n", 1)[0].strip()
    head, sep, rest = text.partition(": ")
    if sep and head and " " not in head:
        short = head.rsplit(".", 1)[-1]
        text = rest if short == "Failure" else f"{short}: {rest}"
    return _trim(text)


def _trim(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"


def _config_errors(detail: object) -> str:
    if isinstance(detail, list):
        messages = [str(item.get("message")) for item in detail if isinstance(item, dict)]
        if messages:
            return _trim("; ".join(messages))
    return _first(detail)


def _first(detail: object) -> str:
    text = str(detail or "").strip()
    return _trim(text.splitlines()[0] if text else "no details")


def _runs_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    result = data.get("runsOrError") or {}
    typename = result.get("__typename")
    if typename == "Runs":
        runs: list[dict[str, Any]] = result.get("results") or []
        return runs
    message = _first(result.get("message"))
    if typename == "PythonError":
        raise DagsterPythonError(f"Dagster error while reading runs: {message}")
    raise DagsterPermanentError(f"Dagster refused to read runs: {typename}: {message}")


def _run_info(run: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=str(run["runId"]),
        status=str(run["status"]),
        job_name=run.get("jobName"),
        tags={str(tag["key"]): str(tag["value"]) for tag in run.get("tags") or []},
    )


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
