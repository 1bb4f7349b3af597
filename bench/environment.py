"""The benchmark's environment, fixed before anything imports ``app.config``.

Every process the benchmark starts (API, worker, beat, Dagster, emulator) inherits it:
one throw-away database built by the migrations, a Redis key prefix of its own, and the
application's defaults for everything it does not name here.
"""

from __future__ import annotations

import os
import secrets

from bench.options import ROOT

DEFAULT_DATABASE_URL = "postgresql+psycopg://bankjobs:bankjobs@127.0.0.1:5432/bankjobs"


def prepare_environment() -> str:
    """Set the benchmark's variables; returns the base database URL to create databases by."""
    base_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["ENVIRONMENT"] = "production"
    os.environ["SECRET_KEY"] = secrets.token_hex(32)
    os.environ["FLOWER_BASIC_AUTH"] = "bench:" + secrets.token_hex(16)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["REDIS_KEY_PREFIX"] = f"bankjobs-bench-{os.getpid()}-{secrets.token_hex(4)}:"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    os.environ["PYTHONUNBUFFERED"] = "1"
    # The timing knobs below keep the application's defaults (reconcile every 5 s, ...).
    for name in (
        "RECONCILE_INTERVAL_SECONDS",
        "RECONCILE_BATCH_SIZE",
        "PENDING_REDISPATCH_AFTER_SECONDS",
        "DAGSTER_URL",
        "DAGSTER_PUBLIC_URL",
        "GOCARDLESS_BASE_URL",
    ):
        os.environ.pop(name, None)
    return base_url
