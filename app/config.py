"""Settings shared by every process: the API, the Celery worker and beat, and Dagster."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the documented placeholder, refused outside development
EMULATOR_SECRET_ID = "sandbox-secret-id"  # noqa: S105 - the local emulator's own credentials
EMULATOR_SECRET_KEY = "sandbox-secret-key"  # noqa: S105 - the local emulator's own credentials


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    # An empty variable (e.g. `DAGSTER_PUBLIC_URL=` in .env) means "use the default".
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    environment: Environment = Environment.DEVELOPMENT

    database_url: str = "postgresql+psycopg://bankjobs:bankjobs@127.0.0.1:5432/bankjobs"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prepended to every Redis key Celery uses (queues, unacked messages, events, control),
    # so several deployments or test sessions can share one Redis without taking each
    # other's tasks. E.g. "bankjobs:".
    redis_key_prefix: str = ""

    secret_key: str = PLACEHOLDER_SECRET
    access_token_minutes: int = Field(default=60 * 12, gt=0)

    # Where the browser lands after the bank-link flow, and where the bank redirects back to.
    frontend_url: str = "http://127.0.0.1:3000"
    # The built frontend the API serves at / (``make frontend``), when the folder exists.
    frontend_dist_dir: Path | None = Path(__file__).resolve().parents[1] / "frontend/.output/public"

    # Dagster webserver (GraphQL) the worker launches runs on; keep it on a private network,
    # Dagster OSS has no authentication. ``dagster_public_url`` is where browsers reach the
    # same UI (links to runs in the job JSON); it defaults to ``dagster_url``.
    dagster_url: str = "http://127.0.0.1:3070"
    dagster_public_url: str | None = None
    dagster_timeout_seconds: float = Field(default=5.0, gt=0)
    # GET /api/jobs/{id} asks Dagster for a running job's live status within this time.
    dagster_live_check_timeout_seconds: float = Field(default=1.0, gt=0)
    dagster_repository_location: str = "orchestration"
    dagster_repository_name: str = "__repository__"
    # Dagster's own storage (runs, events, schedules) for `make up`: a separate database.
    # dagster-postgres needs psycopg2 spelled out: SQLAlchemy 2.1 maps a bare postgresql://
    # to psycopg 3, with which the webserver's storage connections fail ("connection is
    # closed").
    dagster_database_url: str = (
        "postgresql+psycopg2://bankjobs:bankjobs@127.0.0.1:5432/bankjobs_dagster"
    )

    # Dispatch: a launch that finds Dagster unreachable is retried this many times, after
    # min(max, base * 2**n) seconds with jitter; the defaults span about three minutes.
    dispatch_max_retries: int = Field(default=8, ge=0)
    dispatch_backoff_base_seconds: float = Field(default=1.0, gt=0)
    dispatch_backoff_max_seconds: float = Field(default=60.0, gt=0)
    # Longest time the API waits for Redis when enqueueing; the job stays pending otherwise.
    enqueue_timeout_seconds: float = Field(default=1.0, gt=0)
    # Reconcile (Celery beat): running jobs are checked against Dagster in batches; a pending
    # job nobody touched for this long (beyond its retry delay) is dispatched again; a job
    # running longer than the maximum runtime is failed (and its run terminated).
    reconcile_interval_seconds: float = Field(default=5.0, gt=0)
    reconcile_batch_size: int = Field(default=200, gt=0)
    pending_redispatch_after_seconds: float = Field(default=30.0, gt=0)
    job_max_runtime_seconds: float = Field(default=30 * 60.0, gt=0)

    # Flower basic auth, "user:password"; Flower listens on this loopback address and port.
    flower_basic_auth: str = "admin:" + PLACEHOLDER_SECRET
    flower_address: str = "127.0.0.1"
    flower_port: int = Field(default=5555, gt=0)

    # GoCardless Bank Account Data. The defaults talk to the local emulator; real credentials
    # with GOCARDLESS_BASE_URL=https://bankaccountdata.gocardless.com/api/v2/ use the real bank.
    gocardless_base_url: str = "http://127.0.0.1:8088/api/v2/"
    gocardless_secret_id: str = EMULATOR_SECRET_ID
    gocardless_secret_key: str = EMULATOR_SECRET_KEY
    gocardless_timeout_seconds: float = Field(default=10.0, gt=0)
    gocardless_history_days: int = Field(default=90, gt=0)
    gocardless_access_days: int = Field(default=90, gt=0)
    # Where the bank sends the browser back after consent. Defaults to the frontend origin,
    # which proxies /api to the API: {frontend_url}/api/connections/callback.
    gocardless_redirect_url: str | None = None
    # Account details rarely change: fetched once, then again after this many days.
    gocardless_details_refresh_days: int = Field(default=30, gt=0)
    # Each sync asks for transactions from this many days before the last successful one.
    gocardless_transactions_overlap_days: int = Field(default=7, ge=0)
    # The daily full sync (UTC cron) leaves this many calls per account and scope for the
    # Refresh button, and skips accounts synced less than the given hours ago.
    gocardless_daily_sync_cron: str = "0 5 * * *"
    gocardless_daily_sync_quota_reserve: int = Field(default=1, ge=0)
    gocardless_daily_sync_min_age_hours: float = Field(default=12.0, ge=0)
    # How often beat asks the bank again about links still pending (e.g. UA), and when a
    # link never completed is given up.
    connections_pending_check_seconds: float = Field(default=60.0, gt=0)
    connections_pending_max_age_hours: float = Field(default=7 * 24.0, gt=0)

    @property
    def uses_emulator(self) -> bool:
        return self.gocardless_secret_id == EMULATOR_SECRET_ID

    @property
    def connections_callback_url(self) -> str:
        if self.gocardless_redirect_url:
            return self.gocardless_redirect_url
        return self.frontend_url.rstrip("/") + "/api/connections/callback"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if PLACEHOLDER_SECRET in self.secret_key or len(self.secret_key) < 32:
                raise ValueError(
                    "SECRET_KEY is the placeholder or shorter than 32 characters; "
                    "set a long random SECRET_KEY (e.g. `openssl rand -hex 32`) outside development"
                )
            if PLACEHOLDER_SECRET in self.flower_basic_auth:
                raise ValueError(
                    "FLOWER_BASIC_AUTH still holds the placeholder password; "
                    "set FLOWER_BASIC_AUTH=user:long-random-password outside development"
                )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
