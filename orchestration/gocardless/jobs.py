"""The sync job the dispatcher launches, and the daily full sync."""

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
)

from app.config import get_settings
from orchestration.gocardless.extraction import GROUP

JOB_NAME = "gocardless_connection_sync_job"
CONNECTION_TAG = "bankjobs/connection_id"
# The full sync's value of the per-connection tag: the instance's tag_concurrency_limits
# (one run per value) then also keep two full syncs from running at once.
FULL_SYNC_TAG_VALUE = "all"

_ACTIVE_RUN_STATUSES = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]

gocardless_connection_sync_job = define_asset_job(
    name=JOB_NAME,
    selection=AssetSelection.groups(GROUP),
    description=(
        "Sync bank data from GoCardless. Scoped to one connection with run config "
        '{"resources": {"sync_scope": {"config": {"connection_id": "<uuid>"}}}}; '
        "without it, every active connection."
    ),
    executor_def=in_process_executor,
    tags={"bankjobs/kind": "gocardless_sync"},
    run_tags={"bankjobs/kind": "gocardless_sync"},
)


@schedule(
    name="gocardless_daily_full_sync",
    job=gocardless_connection_sync_job,
    cron_schedule=get_settings().gocardless_daily_sync_cron,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        "Once a day, sync every active connection. Uses one of the bank's ~4 daily calls per "
        "account and scope, keeps a reserve for Refresh and skips accounts synced recently."
    ),
)
def gocardless_daily_full_sync(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    running = context.instance.get_run_records(
        filters=RunsFilter(
            job_name=JOB_NAME,
            tags={CONNECTION_TAG: FULL_SYNC_TAG_VALUE},
            statuses=_ACTIVE_RUN_STATUSES,
        ),
        limit=1,
    )
    if running:
        return SkipReason(f"A full sync is still running: {running[0].dagster_run.run_id}")
    return RunRequest(
        run_key=None,
        run_config={},
        tags={CONNECTION_TAG: FULL_SYNC_TAG_VALUE, "bankjobs/trigger": "schedule"},
    )
