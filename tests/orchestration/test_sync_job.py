"""The sync job executed for real: emulator over HTTP, Postgres, Dagster in process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, AccountQuota, Balance, Transaction
from app.connections.models import Connection
from app.db import session_scope
from app.enums import ConnectionStatus, TransactionStatus
from app.providers.gocardless import GoCardlessClient
from emulator.testing import EmulatorControl
from tests.conftest import make_user
from tests.orchestration.support import (
    bank_ids,
    failure_message,
    make_active_connection,
    run_sync,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("committed_db")

ACCOUNT_CALL = ("details", "balances", "transactions")


def _two_users_connections(
    bank: GoCardlessClient, emulator: EmulatorControl
) -> tuple[uuid.UUID, uuid.UUID]:
    with session_scope() as session:
        mine = make_active_connection(session, bank, emulator, make_user(session).id)
        theirs = make_active_connection(session, bank, emulator, make_user(session).id)
        return mine.id, theirs.id


def _data_calls(emulator: EmulatorControl, account_ids: list[str]) -> list[str]:
    return [
        call["path"]
        for account_id in account_ids
        for call in emulator.calls(account_id=account_id)
        if call["path"].rstrip("/").rsplit("/", 1)[-1] in ACCOUNT_CALL
    ]


def _transactions_calls(emulator: EmulatorControl, account_ids: list[str]) -> list[str]:
    return [p for p in _data_calls(emulator, account_ids) if p.endswith("/transactions/")]


def _count(session: Session, model: type, connection_id: uuid.UUID) -> int:
    column = model.account_id if model is not Account else model.id
    return session.execute(
        select(func.count())
        .select_from(model)
        .join(Account, Account.id == column)
        .where(Account.connection_id == connection_id)
    ).scalar_one()


def test_scoped_run_syncs_only_its_connection(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    mine, theirs = _two_users_connections(bank, emulator)
    with session_scope() as session:
        their_accounts = bank_ids(session, theirs)
        my_accounts = bank_ids(session, mine)

    result = run_sync(emulator_url, mine)

    assert result.success
    with session_scope() as session:
        accounts = session.execute(select(Account).where(Account.connection_id == mine)).scalars()
        assert sorted(a.iban or "" for a in accounts) == [
            "GL0865354374424724",
            "GL3343697694912188",
        ]
        assert _count(session, Balance, mine) == 4
        assert _count(session, Transaction, mine) > 20
        pending = session.execute(
            select(func.count())
            .select_from(Transaction)
            .join(Account)
            .where(Account.connection_id == mine, Transaction.status == TransactionStatus.PENDING)
        ).scalar_one()
        assert pending == 4
        assert session.get_one(Connection, mine).last_synced_at is not None

        assert _count(session, Balance, theirs) == 0
        assert _count(session, Transaction, theirs) == 0
        assert _count(session, AccountQuota, theirs) == 0
        untouched = session.get_one(Connection, theirs)
        assert untouched.last_synced_at is None
        assert all(
            a.name is None and a.currency is None
            for a in session.execute(
                select(Account).where(Account.connection_id == theirs)
            ).scalars()
        )
    assert len(_data_calls(emulator, my_accounts)) == 6
    assert emulator.calls(account_id=their_accounts[0]) == []
    assert emulator.calls(account_id=their_accounts[1]) == []


def test_full_run_syncs_every_active_connection(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    first, second = _two_users_connections(bank, emulator)
    with session_scope() as session:
        expired = make_active_connection(session, bank, emulator, make_user(session).id)
        expired.status = ConnectionStatus.EXPIRED
        expired_id = expired.id
        expired_accounts = bank_ids(session, expired_id)

    result = run_sync(emulator_url)

    assert result.success
    with session_scope() as session:
        for connection_id in (first, second):
            assert _count(session, Balance, connection_id) == 4
            assert _count(session, Transaction, connection_id) > 20
        assert _count(session, Transaction, expired_id) == 0
    assert emulator.calls(account_id=expired_accounts[0]) == []


def test_rerunning_a_sync_changes_nothing(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    connection_id, _ = _two_users_connections(bank, emulator)
    assert run_sync(emulator_url, connection_id).success
    before = snapshot(connection_id)

    assert run_sync(emulator_url, connection_id).success

    assert snapshot(connection_id) == before
    assert {table: len(rows) for table, rows in before.items()}["transactions"] > 20


def test_details_are_fetched_once_and_quota_is_recorded(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    connection_id, _ = _two_users_connections(bank, emulator)
    with session_scope() as session:
        accounts = bank_ids(session, connection_id)

    assert run_sync(emulator_url, connection_id).success
    assert run_sync(emulator_url, connection_id).success

    paths = _data_calls(emulator, accounts)
    assert sum(p.endswith("/details/") for p in paths) == 2  # one per account, not per run
    assert sum(p.endswith("/balances/") for p in paths) == 4
    with session_scope() as session:
        quotas = session.execute(
            select(AccountQuota).join(Account).where(Account.connection_id == connection_id)
        ).scalars()
        remaining = {(q.scope, q.remaining) for q in quotas}
    assert remaining == {("details", 3), ("balances", 2), ("transactions", 2)}


def test_used_up_quota_is_not_asked_again_before_its_reset(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    connection_id, _ = _two_users_connections(bank, emulator)
    with session_scope() as session:
        accounts = bank_ids(session, connection_id)
    emulator.set_faults(mode="rate_limit", reset_seconds=3600, scopes=["transactions"])

    first = run_sync(emulator_url, connection_id)

    assert failure_message(first).startswith("Rate limit reached; next sync possible after ")
    emulator.clear_faults()
    transactions_calls = len(_transactions_calls(emulator, accounts))

    second = run_sync(emulator_url, connection_id)

    assert failure_message(second) == failure_message(first)
    assert len(_transactions_calls(emulator, accounts)) == transactions_calls
    with session_scope() as session:
        assert _count(session, Balance, connection_id) == 4
        assert session.get_one(Connection, connection_id).status is ConnectionStatus.ACTIVE


def test_daily_full_sync_skips_connections_synced_recently(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    recent, other = _two_users_connections(bank, emulator)
    with session_scope() as session:
        recent_accounts = bank_ids(session, recent)
    assert run_sync(emulator_url, recent).success
    calls_before = len(_data_calls(emulator, recent_accounts))

    assert run_sync(emulator_url).success

    assert len(_data_calls(emulator, recent_accounts)) == calls_before
    with session_scope() as session:
        assert _count(session, Transaction, other) > 20


@pytest.mark.parametrize(
    ("mode", "message", "status"),
    [
        ("rate_limit", "Rate limit reached; next sync possible after ", ConnectionStatus.ACTIVE),
        ("agreement_expired", "Bank access expired; reconnect the bank", ConnectionStatus.EXPIRED),
        ("access_revoked", "Bank access expired; reconnect the bank", ConnectionStatus.EXPIRED),
        (
            "bank_down",
            "The bank is temporarily unavailable; try again later",
            ConnectionStatus.ACTIVE,
        ),
    ],
)
def test_bank_faults_fail_the_run_with_a_message(
    emulator_url: str,
    bank: GoCardlessClient,
    emulator: EmulatorControl,
    mode: str,
    message: str,
    status: ConnectionStatus,
) -> None:
    connection_id, _ = _two_users_connections(bank, emulator)
    emulator.set_faults(mode=mode)

    result = run_sync(emulator_url, connection_id)

    assert failure_message(result).startswith(message)
    with session_scope() as session:
        connection = session.get_one(Connection, connection_id)
        assert connection.status is status
        if status is ConnectionStatus.EXPIRED:
            assert connection.status_reason == message
        assert connection.last_synced_at is None


def test_scoped_run_refuses_a_connection_that_is_not_active(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    connection_id, _ = _two_users_connections(bank, emulator)
    with session_scope() as session:
        connection = session.get_one(Connection, connection_id)
        connection.status = ConnectionStatus.EXPIRED
        connection.status_reason = "Bank access expired; reconnect the bank"

    expired = run_sync(emulator_url, connection_id)
    missing = run_sync(emulator_url, uuid.uuid4())

    assert (
        failure_message(expired)
        == "This connection is expired: Bank access expired; reconnect the bank"
    )
    assert failure_message(missing) == "Connection not found"


def test_access_past_its_end_date_expires_the_connection_without_a_bank_call(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    connection_id, _ = _two_users_connections(bank, emulator)
    with session_scope() as session:
        session.get_one(Connection, connection_id).access_expires_at = datetime.now(
            UTC
        ) - timedelta(minutes=1)
        accounts = bank_ids(session, connection_id)

    result = run_sync(emulator_url, connection_id)

    assert failure_message(result) == "Bank access expired; reconnect the bank"
    assert _data_calls(emulator, accounts) == []
    with session_scope() as session:
        assert session.get_one(Connection, connection_id).status is ConnectionStatus.EXPIRED


def test_details_out_of_quota_do_not_fail_the_sync(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    connection_id, _ = _two_users_connections(bank, emulator)
    emulator.set_faults(mode="rate_limit", scopes=["details"])

    result = run_sync(emulator_url, connection_id)

    assert result.success
    with session_scope() as session:
        assert _count(session, Transaction, connection_id) > 20
        assert session.get_one(Connection, connection_id).last_synced_at is not None
