"""The migrated schema matches the PRD's ``jobs`` table and refuses a second active job."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.users.models import User

PRD_JOB_COLUMNS = {
    # name: (type as Postgres reports it, nullable)
    "id": ("uuid", False),
    "job_type": ("character varying(50)", False),
    "status": ("character varying(20)", False),
    "user_id": ("uuid", False),
    "entity_type": ("character varying(50)", True),
    "entity_id": ("uuid", True),
    "dagster_run_id": ("character varying(64)", True),
    "error_message": ("text", True),
    "created_at": ("timestamp with time zone", False),
    "started_at": ("timestamp with time zone", True),
    "completed_at": ("timestamp with time zone", True),
}


def _columns(session: Session, table: str) -> dict[str, tuple[str, bool]]:
    rows = session.execute(
        text(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
            "FROM pg_attribute a WHERE a.attrelid = CAST(:table AS regclass) "
            "AND a.attnum > 0 AND NOT a.attisdropped"
        ),
        {"table": table},
    ).all()
    return {name: (type_, nullable) for name, type_, nullable in rows}


def _indexes(session: Session, table: str) -> dict[str, str]:
    rows = session.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :table"),
        {"table": table},
    ).all()
    return dict(rows)


def test_jobs_has_every_prd_column_with_its_type_and_nullability(db_session: Session) -> None:
    columns = _columns(db_session, "jobs")
    for name, expected in PRD_JOB_COLUMNS.items():
        assert columns.get(name) == expected, name
    assert set(columns) - set(PRD_JOB_COLUMNS) == {"updated_at", "attempts"}


def test_jobs_primary_key_and_user_foreign_key(db_session: Session) -> None:
    inspector = inspect(db_session.connection())
    assert inspector.get_pk_constraint("jobs")["constrained_columns"] == ["id"]
    foreign_keys = inspector.get_foreign_keys("jobs")
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in foreign_keys] == [
        (["user_id"], "users")
    ]


def test_jobs_has_the_prd_indexes_and_the_partial_unique_index(db_session: Session) -> None:
    indexes = _indexes(db_session, "jobs")
    assert indexes["idx_jobs_user_status"].endswith("USING btree (user_id, status)")
    assert indexes["idx_jobs_entity"].endswith("USING btree (entity_type, entity_id)")
    active = indexes["uq_jobs_active_per_entity"]
    assert active.startswith("CREATE UNIQUE INDEX")
    assert "(job_type, entity_type, entity_id)" in active
    assert "'pending'" in active and "'running'" in active


def _insert_job(session: Session, user: User, entity_id: uuid.UUID, status: str) -> None:
    session.execute(
        text(
            "INSERT INTO jobs (id, job_type, status, user_id, entity_type, entity_id, created_at)"
            " VALUES (:id, 'sync', :status, :user_id, 'connection', :entity_id, now())"
        ),
        {"id": uuid.uuid4(), "status": status, "user_id": user.id, "entity_id": entity_id},
    )


@pytest.mark.parametrize(
    ("first", "second"), [("pending", "pending"), ("pending", "running"), ("running", "running")]
)
def test_partial_unique_index_refuses_a_second_active_job(
    db_session: Session, user: User, first: str, second: str
) -> None:
    entity_id = uuid.uuid4()
    _insert_job(db_session, user, entity_id, first)
    with (
        pytest.raises(IntegrityError, match="uq_jobs_active_per_entity"),
        db_session.begin_nested(),
    ):
        _insert_job(db_session, user, entity_id, second)


def test_partial_unique_index_allows_history_and_other_entities(
    db_session: Session, user: User
) -> None:
    entity_id = uuid.uuid4()
    for status in ("completed", "failed", "completed", "pending"):
        _insert_job(db_session, user, entity_id, status)
    _insert_job(db_session, user, uuid.uuid4(), "pending")
    count = db_session.execute(text("SELECT count(*) FROM jobs")).scalar_one()
    assert count == 5


def test_status_outside_the_flow_is_refused(db_session: Session, user: User) -> None:
    with pytest.raises(IntegrityError, match="ck_jobs_job_status"), db_session.begin_nested():
        _insert_job(db_session, user, uuid.uuid4(), "exploded")


def test_transactions_are_unique_per_account_and_bank_id(db_session: Session) -> None:
    constraints = inspect(db_session.connection()).get_unique_constraints("transactions")
    assert [c["column_names"] for c in constraints] == [["account_id", "bank_transaction_id"]]
    amount = _columns(db_session, "transactions")["amount"]
    assert amount == ("numeric(18,2)", False)
