"""Bulk data for the benchmarks, written with set-based SQL (generate_series)."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from app.auth.security import create_access_token
from app.config import get_settings
from app.db import get_engine

SANDBOX = "SANDBOXFINANCE_SFIN0000"
# The owner of the floor endpoint's rows (bench/floor_app.py), created with the database.
FLOOR_USER_ID = uuid.UUID("00000000-0000-4000-8000-00000000f100")


@dataclass(frozen=True)
class Owned:
    """An entity (connection) and the bearer token of its owner."""

    entity_id: uuid.UUID
    user_id: uuid.UUID
    token: str


def create_users(label: str, count: int) -> list[uuid.UUID]:
    """``count`` users with ids ``md5('<label>-<n>')``; their password hash is a placeholder."""
    with get_engine().begin() as db:
        rows = db.execute(
            text(
                "INSERT INTO users (id, email, password_hash, created_at) "
                "SELECT md5(:label || '-' || n)::uuid, :label || '-' || n || '@bench.invalid', "
                "'-', now() FROM generate_series(1, :count) AS n RETURNING id"
            ),
            {"label": label, "count": count},
        )
        return [row[0] for row in rows]


def create_user(user_id: uuid.UUID, email: str) -> None:
    with get_engine().begin() as db:
        db.execute(
            text("INSERT INTO users (id, email, password_hash) VALUES (:id, :email, '-')"),
            {"id": user_id, "email": email},
        )


def create_active_connections(user_ids: Sequence[uuid.UUID], count: int) -> list[Owned]:
    """``count`` active connections spread evenly over ``user_ids`` (no bank behind them)."""
    with get_engine().begin() as db:
        rows = db.execute(
            text(
                "INSERT INTO connections (id, user_id, institution_id, institution_name, "
                "reference, status, created_at, updated_at) "
                "SELECT gen_random_uuid(), (:users)[1 + n % cardinality(:users)], :institution, "
                "'Sandbox Finance', 'bench-' || :salt || '-' || n, 'active', now(), now() "
                "FROM generate_series(1, :count) AS n RETURNING id, user_id"
            ),
            {
                "users": list(user_ids),
                "institution": SANDBOX,
                "salt": secrets.token_hex(4),
                "count": count,
            },
        )
        pairs = [(row[0], row[1]) for row in rows]
    return with_tokens(pairs)


def with_tokens(pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[Owned]:
    settings = get_settings()
    tokens: dict[uuid.UUID, str] = {}
    owned = []
    for entity_id, user_id in pairs:
        if user_id not in tokens:
            tokens[user_id] = create_access_token(settings, user_id)
        owned.append(Owned(entity_id, user_id, tokens[user_id]))
    return owned


def write_pairs(path: Path, owned: Sequence[Owned], *, shuffle: bool = True) -> Path:
    """One ``<token> <entity id>`` line each, for the load generators."""
    rows = list(owned)
    if shuffle:
        random.Random(7).shuffle(rows)
    path.write_text("".join(f"{row.token} {row.entity_id}\n" for row in rows))
    return path


def truncate_jobs() -> None:
    with get_engine().begin() as db:
        db.execute(text("TRUNCATE jobs"))


def count_jobs(status: str | None = None) -> int:
    query = text(
        "SELECT count(*) FROM jobs WHERE CAST(:status AS text) IS NULL OR status = :status"
    )
    with get_engine().connect() as db:
        return int(db.execute(query, {"status": status}).scalar_one())
