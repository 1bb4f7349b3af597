"""Prepare Dagster for `make up`: DAGSTER_HOME, its own Postgres database and schema.

Prints ``export`` lines for scripts/dagster.sh. The webserver and the daemon start together;
an advisory lock makes one of them create the database and the schema while the other waits.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from dagster import DagsterInstance
from psycopg import sql
from sqlalchemy.engine import make_url

from app.config import get_settings

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "dagster" / "dagster.yaml"
LOCK_KEY = 7_302_614_001  # any constant shared by both processes


def _libpq(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def prepare() -> dict[str, str]:
    settings = get_settings()
    home = Path(os.environ.get("DAGSTER_HOME") or ROOT / ".dagster")
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATE, home / "dagster.yaml")
    dagster_db = make_url(settings.dagster_database_url).database
    os.environ["DAGSTER_POSTGRES_URL"] = settings.dagster_database_url
    maintenance = _libpq(settings.dagster_database_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (dagster_db,)
            ).fetchone()
            if not exists:
                print(f"creating database {dagster_db}", file=sys.stderr)
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dagster_db)))
            DagsterInstance.from_config(str(home)).dispose()  # creates / migrates the schema
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    webserver = urlsplit(settings.dagster_url)
    return {
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_URL": settings.dagster_database_url,
        "DAGSTER_WEBSERVER_HOST": webserver.hostname or "127.0.0.1",
        "DAGSTER_WEBSERVER_PORT": str(webserver.port or 3070),
    }


if __name__ == "__main__":
    for key, value in prepare().items():
        print(f"export {key}={shlex.quote(value)}")
