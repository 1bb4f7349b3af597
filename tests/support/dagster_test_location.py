"""A stand-in Dagster code location for the dispatch tests.

It defines ``gocardless_connection_sync_job`` with the same ``sync_scope`` resource config as
the real orchestration package. A test steers one run by writing
``<BANKJOBS_TEST_DAGSTER_BEHAVIOUR_DIR>/<connection_id>.json`` before the run starts:
``{"sleep": 30}`` keeps it running, ``{"fail": "message"}`` makes it fail with that message;
without a file the run succeeds at once.
"""

import json
import os
import time
from pathlib import Path

from dagster import (
    ConfigurableResource,
    Definitions,
    Failure,
    OpExecutionContext,
    in_process_executor,
    job,
    op,
)

BEHAVIOUR_DIR_ENV = "BANKJOBS_TEST_DAGSTER_BEHAVIOUR_DIR"


class SyncScope(ConfigurableResource):  # type: ignore[misc]
    """Which connection a sync run covers; ``None`` means every active connection."""

    connection_id: str | None = None


def _behaviour(connection_id: str | None) -> dict[str, object]:
    directory = os.environ.get(BEHAVIOUR_DIR_ENV)
    if not directory or not connection_id:
        return {}
    path = Path(directory) / f"{connection_id}.json"
    if not path.exists():
        return {}
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


@op
def sync_connection(context: OpExecutionContext, sync_scope: SyncScope) -> None:
    behaviour = _behaviour(sync_scope.connection_id)
    context.log.info(f"syncing connection {sync_scope.connection_id}: {behaviour or 'succeed'}")
    sleep = behaviour.get("sleep")
    if isinstance(sleep, int | float):
        time.sleep(float(sleep))
    message = behaviour.get("fail")
    if isinstance(message, str):
        raise Failure(description=message)


@job(executor_def=in_process_executor)
def gocardless_connection_sync_job() -> None:
    sync_connection()


defs = Definitions(jobs=[gocardless_connection_sync_job], resources={"sync_scope": SyncScope()})
