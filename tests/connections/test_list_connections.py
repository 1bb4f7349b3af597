"""GET /api/connections: the user's connections with accounts, balances, sync state, quota."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.accounts import repository as accounts_repo
from app.accounts.models import Account
from app.accounts.repository import BalanceRecord, QuotaObservation
from app.connections import repository as connections_repo
from app.connections.models import Connection
from app.db import get_engine
from app.enums import ConnectionStatus, EntityType, JobStatus, JobType
from app.jobs import repository as jobs_repo
from app.users.models import User
from tests.conftest import auth_headers_for, make_user


def _connection(session: Session, user: User, accounts: int = 1) -> Connection:
    connection = connections_repo.create_connection(
        session,
        user_id=user.id,
        institution_id="SANDBOXFINANCE_SFIN0000",
        institution_name="Sandbox Finance",
        requisition_id=str(uuid.uuid4()),
        agreement_id=str(uuid.uuid4()),
        reference=uuid.uuid4().hex,
    )
    connection.status = ConnectionStatus.ACTIVE
    for index in range(accounts):
        account = Account(
            connection_id=connection.id,
            gocardless_account_id=str(uuid.uuid4()),
            iban=f"GL00000000000{index}",
            name="Main Account",
            currency="EUR",
            owner_name="John Doe",
        )
        session.add(account)
        session.flush()
        accounts_repo.upsert_balances(
            session,
            account.id,
            [
                BalanceRecord("expected", Decimal("1913.12"), "EUR", date(2026, 12, 4)),
                BalanceRecord("interimAvailable", Decimal("-45"), "EUR", None),
            ],
        )
    session.flush()
    return connection


def _quota(
    session: Session, account: Account, scope: str, remaining: int, reset_in: timedelta
) -> None:
    now = datetime.now(UTC)
    accounts_repo.record_quota(
        session, account.id, QuotaObservation(scope, 4, remaining, now + reset_in, now)
    )


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_lists_only_the_users_connections_with_accounts_and_balances(
    client: TestClient, db_session: Session, user: User, other_user: User
) -> None:
    mine = _connection(db_session, user)
    _connection(db_session, other_user)

    response = client.get("/api/connections", headers=auth_headers_for(user))

    assert response.status_code == 200
    [listed] = response.json()["connections"]
    assert listed["id"] == str(mine.id)
    assert listed["status"] == "active"
    assert listed["latest_sync_job"] is None
    assert listed["last_synced_at"] is None
    assert listed["remaining_daily_syncs"] is None
    [account] = listed["accounts"]
    assert account["iban"] == "GL000000000000"
    assert account["balances"] == [
        {
            "balance_type": "expected",
            "amount": "1913.12",
            "currency": "EUR",
            "reference_date": "2026-12-04",
        },
        {
            "balance_type": "interimAvailable",
            "amount": "-45.00",
            "currency": "EUR",
            "reference_date": None,
        },
    ]
    assert set(listed) == {
        "id",
        "institution_id",
        "institution_name",
        "status",
        "status_reason",
        "access_expires_at",
        "created_at",
        "updated_at",
        "accounts",
        "latest_sync_job",
        "last_synced_at",
        "remaining_daily_syncs",
    }


def test_sync_state_and_remaining_quota(
    client: TestClient, db_session: Session, user: User
) -> None:
    connection = _connection(db_session, user, accounts=2)
    first, second = connection.accounts
    _quota(db_session, first, "balances", 3, timedelta(hours=20))
    _quota(db_session, first, "transactions", 2, timedelta(hours=20))
    _quota(db_session, second, "transactions", 1, timedelta(hours=20))
    _quota(db_session, second, "details", 0, timedelta(hours=20))  # details do not limit syncs
    done, _ = jobs_repo.create_job(
        db_session, user.id, JobType.SYNC, EntityType.CONNECTION, connection.id
    )
    jobs_repo.update_job_status(db_session, done.id, JobStatus.RUNNING, dagster_run_id="run-1")
    jobs_repo.update_job_status(db_session, done.id, JobStatus.COMPLETED)
    latest, _ = jobs_repo.create_job(
        db_session, user.id, JobType.SYNC, EntityType.CONNECTION, connection.id
    )

    listed = client.get("/api/connections", headers=auth_headers_for(user)).json()["connections"][0]

    assert listed["latest_sync_job"]["id"] == str(latest.id)
    assert listed["latest_sync_job"]["status"] == "pending"
    assert listed["last_synced_at"] is not None
    assert datetime.fromisoformat(listed["last_synced_at"]) == done.completed_at
    assert listed["remaining_daily_syncs"] == 1


def test_quota_as_last_seen_recovers_after_its_reset(
    client: TestClient, db_session: Session, user: User
) -> None:
    connection = _connection(db_session, user)
    _quota(db_session, connection.accounts[0], "transactions", 0, timedelta(seconds=-5))

    listed = client.get("/api/connections", headers=auth_headers_for(user)).json()["connections"][0]

    assert listed["remaining_daily_syncs"] == 1


def test_listing_costs_the_same_queries_for_one_or_many_connections(
    client: TestClient, db_session: Session, statements: list[str]
) -> None:
    one, many = make_user(db_session), make_user(db_session)
    _connection(db_session, one)
    for _ in range(4):
        _connection(db_session, many, accounts=2)

    client.get("/api/connections", headers=auth_headers_for(one))
    statements.clear()
    assert (
        len(client.get("/api/connections", headers=auth_headers_for(one)).json()["connections"])
        == 1
    )
    for_one = len(statements)
    statements.clear()
    assert (
        len(client.get("/api/connections", headers=auth_headers_for(many)).json()["connections"])
        == 4
    )
    for_many = len(statements)

    assert for_many == for_one


def test_listing_needs_a_login(client: TestClient) -> None:
    assert client.get("/api/connections").status_code == 401
