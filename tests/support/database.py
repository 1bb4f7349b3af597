"""Throw-away Postgres databases built by the Alembic migrations."""

from __future__ import annotations

import uuid

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from tests.support.paths import ROOT


def _admin_dsn(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


def create_database(base_url: str, prefix: str = "bankjobs_test") -> str:
    """Create an empty database next to ``base_url``'s and return its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_dsn(base_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    name = make_url(database_url).database
    with psycopg.connect(_admin_dsn(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
