"""The Dagster code location ``orchestration`` (workspace.yaml loads this module)."""

from __future__ import annotations

from dagster import Definitions, mem_io_manager

from orchestration.gocardless.extraction import gocardless_extraction
from orchestration.gocardless.jobs import gocardless_connection_sync_job, gocardless_daily_full_sync
from orchestration.gocardless.sync import gocardless_sync
from orchestration.resources import DatabaseResource, GoCardlessResource, SyncScope

# Bank data passes between the two assets in memory (the job runs in one process) and is
# never written to Dagster's storage.
defs = Definitions(
    assets=[gocardless_extraction, gocardless_sync],
    jobs=[gocardless_connection_sync_job],
    schedules=[gocardless_daily_full_sync],
    resources={
        "sync_scope": SyncScope(),
        "gocardless": GoCardlessResource(),
        "database": DatabaseResource(),
        "io_manager": mem_io_manager,
    },
)
