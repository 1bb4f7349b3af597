"""What the sync asset writes for a given bank answer: upserts, pending replacement, ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Transaction
from app.connections import repository as connections_repo
from app.enums import TransactionStatus
from app.providers.gocardless import AccountTransactions
from orchestration.gocardless import normalize
from orchestration.gocardless.extraction import AccountData, ConnectionData
from orchestration.gocardless.sync import write_connection
from tests.conftest import make_user


def _account(session: Session) -> tuple[ConnectionData, Account]:
    user = make_user(session)
    connection = connections_repo.create_connection(
        session,
        user_id=user.id,
        institution_id="SANDBOXFINANCE_SFIN0000",
        institution_name="Sandbox Finance",
        requisition_id="req-" + str(user.id),
        agreement_id="agr",
        reference="ref-" + str(user.id),
    )
    account = Account(connection_id=connection.id, gocardless_account_id="acc-" + str(user.id))
    session.add(account)
    session.flush()
    return ConnectionData(connection.id, "Sandbox Finance"), account


def _answer(booked: list[dict[str, Any]], pending: list[dict[str, Any]]) -> AccountTransactions:
    return AccountTransactions.model_validate(
        {"transactions": {"booked": booked, "pending": pending}}
    )


def _item(amount: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "transactionAmount": {"amount": amount, "currency": "EUR"},
        "creditorName": name,
        "remittanceInformationUnstructured": f"PAYMENT {name}",
        **extra,
    }


def _write(
    session: Session, data: ConnectionData, account: Account, answer: AccountTransactions
) -> None:
    data.accounts = [
        AccountData(
            account.id,
            account.gocardless_account_id,
            booked=normalize.booked_transactions(answer.transactions.booked),
            pending=normalize.pending_transactions(answer.transactions.pending),
        )
    ]
    write_connection(session, data)


def _rows(session: Session, account: Account) -> list[tuple[str | None, TransactionStatus, str]]:
    return sorted(
        (t.bank_transaction_id, t.status, f"{t.amount:.2f}")
        for t in session.execute(
            select(Transaction).where(Transaction.account_id == account.id)
        ).scalars()
    )


def test_pending_items_are_replaced_when_the_bank_books_them(db_session: Session) -> None:
    data, account = _account(db_session)
    booked_earlier = _item("-12.00", "Corner Coffee", transactionId="T1", bookingDate="2026-12-01")
    coffee = _item("-3.50", "Corner Coffee", valueDate="2026-12-04")
    fuel = _item("-60.00", "Hilltop Fuel", valueDate="2026-12-04")
    _write(db_session, data, account, _answer([booked_earlier], [coffee, fuel]))
    first = _rows(db_session, account)
    assert [row[1] for row in first].count(TransactionStatus.PENDING) == 2

    coffee_booked = _item(
        "-3.50",
        "Corner Coffee",
        transactionId="T2",
        bookingDate="2026-12-05",
        valueDate="2026-12-04",
    )
    _write(db_session, data, account, _answer([coffee_booked, booked_earlier], [fuel]))

    rows = _rows(db_session, account)
    assert [(r[0], r[1]) for r in rows if r[1] is TransactionStatus.BOOKED] == [
        ("T1", TransactionStatus.BOOKED),
        ("T2", TransactionStatus.BOOKED),
    ]
    pending = [r for r in rows if r[1] is TransactionStatus.PENDING]
    assert [(r[2]) for r in pending] == ["-60.00"]
    assert pending[0] in first  # the still-pending item kept its row


def test_booked_items_without_ids_get_stable_ids(db_session: Session) -> None:
    data, account = _account(db_session)
    internal = _item("-9.99", "Streamflix", internalTransactionId="I-1", bookingDate="2026-12-02")
    twin = _item("-2.50", "Corner Coffee", bookingDate="2026-12-03")
    answer = _answer([internal, twin, dict(twin)], [])

    _write(db_session, data, account, answer)
    _write(db_session, data, account, answer)

    rows = _rows(db_session, account)
    assert len(rows) == 3
    ids = [r[0] or "" for r in rows]
    assert "I-1" in ids
    hashed = sorted(i for i in ids if i.startswith("h:"))
    assert len(hashed) == 2 and hashed[0].endswith(":1") and hashed[1].endswith(":2")


def test_a_changed_booked_item_is_updated_in_place(db_session: Session) -> None:
    data, account = _account(db_session)
    _write(db_session, data, account, _answer([_item("-5.00", "Shop", transactionId="T9")], []))
    before = db_session.execute(select(Transaction.id)).scalars().all()

    _write(db_session, data, account, _answer([_item("-5.50", "Shop", transactionId="T9")], []))

    assert _rows(db_session, account) == [("T9", TransactionStatus.BOOKED, "-5.50")]
    assert db_session.execute(select(Transaction.id)).scalars().all() == before
