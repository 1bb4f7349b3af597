"""Reading run timestamps from the Dagster webserver, and writing runs straight into its storage."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

_RUN_TIMES = """
query BenchRunTimes($runIds: [String!]!, $limit: Int!) {
  runsOrError(filter: {runIds: $runIds}, limit: $limit) {
    __typename
    ... on Runs { results { runId status creationTime startTime endTime } }
    ... on PythonError { message }
  }
}
"""

# What a reconciler minimally needs from each run.
MINIMAL_STATUS_QUERY = """
query BenchRunStatuses($runIds: [String!]!, $limit: Int!) {
  runsOrError(filter: {runIds: $runIds}, limit: $limit) {
    __typename
    ... on Runs { results { runId status } }
    ... on PythonError { message }
  }
}
"""


def graphql(url: str, query: str, variables: Mapping[str, Any], *, timeout: float = 30) -> Any:
    answer = httpx.post(
        f"{url.rstrip('/')}/graphql",
        json={"query": query, "variables": dict(variables)},
        timeout=timeout,
    )
    answer.raise_for_status()
    payload: dict[str, Any] = answer.json()
    if payload.get("errors"):
        raise RuntimeError(f"Dagster answered errors: {payload['errors']}")
    return payload["data"]


def run_times(url: str, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{run_id: {status, creationTime, startTime, endTime}}`` (epoch seconds, floats)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(run_ids), 100):
        chunk = list(run_ids[start : start + 100])
        data = graphql(url, _RUN_TIMES, {"runIds": chunk, "limit": len(chunk)})
        for run in data["runsOrError"].get("results") or []:
            found[run["runId"]] = run
    return found


def add_synthetic_runs(home: str, count: int, tags: Sequence[Mapping[str, str]]) -> list[str]:
    """``count`` NOT_STARTED runs of the sync job in the instance's run storage, in bulk.

    A run the queue will never launch and the run monitor leaves alone, so its status stays
    "not finished" however long the benchmark takes; it carries the tags a dispatched run has.
    """
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
    from dagster._core.storage.runs.schema import RunsTable, RunTagsTable
    from dagster._serdes import serialize_value
    from dagster._time import get_current_datetime

    from app.jobs.service import SYNC_JOB_NAME

    instance = DagsterInstance.from_config(home)
    try:
        storage = instance.run_storage
        now = get_current_datetime()
        runs: list[dict[str, Any]] = []
        run_tags: list[dict[str, str]] = []
        for number in range(count):
            run = DagsterRun(
                job_name=SYNC_JOB_NAME,
                run_id=str(uuid.uuid4()),
                status=DagsterRunStatus.NOT_STARTED,
                tags=dict(tags[number]),
            )
            runs.append(
                {
                    "run_id": run.run_id,
                    "pipeline_name": run.job_name,
                    "status": run.status.value,
                    "run_body": serialize_value(run),
                    "snapshot_id": None,
                    "partition": None,
                    "partition_set": None,
                    "create_timestamp": now,
                    "update_timestamp": now,
                }
            )
            run_tags.extend(
                {"run_id": run.run_id, "key": key, "value": value}
                for key, value in run.tags_for_storage().items()
            )
        with storage.connect() as conn:  # type: ignore[attr-defined]
            for start in range(0, len(runs), 1000):
                conn.execute(RunsTable.insert(), runs[start : start + 1000])
            for start in range(0, len(run_tags), 2000):
                conn.execute(RunTagsTable.insert(), run_tags[start : start + 2000])
        return [run["run_id"] for run in runs]
    finally:
        instance.dispose()


def cancel_queued_runs(home: str, run_ids: Sequence[str]) -> int:
    """Mark runs that are still queued as canceled, so a resumed daemon never launches them."""
    from dagster import DagsterInstance, DagsterRunStatus

    instance = DagsterInstance.from_config(home)
    canceled = 0
    try:
        for run_id in run_ids:
            run = instance.get_run_by_id(run_id)
            if run is not None and run.status == DagsterRunStatus.QUEUED:
                instance.report_run_canceled(run, message="benchmark: never meant to run")
                canceled += 1
    finally:
        instance.dispose()
    return canceled
