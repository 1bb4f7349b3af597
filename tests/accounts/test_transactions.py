"""GET /api/accounts/{id}/transactions: paginated, pending first, newest first, owner only."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import repository as accounts_repo
from app.accounts.models import Account
from app.accounts.repository import TransactionRecord
from app.connections import repository as connections_repo
from app.enums import TransactionStatus
from app.users.models import User
from tests.conftest import auth_headers_for

DAY = date(2026, 12, 1)


def _account(session: Session, user: User) -> Account:
    connection = connections_repo.create_connection(
        session,
        user_id=user.id,
        institution_id="SANDBOXFINANCE_SFIN0000",
        institution_name="Sandbox Finance",
        requisition_id=str(uuid.uuid4()),
        agreement_id=str(uuid.uuid4()),
        reference=uuid.uuid4().hex,
    )
    account = Account(connection_id=connection.id, gocardless_account_id=str(uuid.uuid4()))
    session.add(account)
    session.flush()
    booked = [
        TransactionRecord(
            f"T{day}",
            TransactionStatus.BOOKED,
            Decimal(-45) if day == 0 else Decimal(day * 10),
            "EUR",
            DAY - timedelta(days=day),
            DAY - timedelta(days=day),
            f"PAYMENT {day}",
            "Corner Coffee",
        )
        for day in range(5)
    ]
    pending = [
        TransactionRecord(
            f"pending:h:{n}:1",
            TransactionStatus.PENDING,
            Decimal("-3.5"),
            "EUR",
            None,
            DAY + timedelta(days=1),
            "Reserved",
            "Hilltop Fuel",
        )
        for n in range(2)
    ]
    accounts_repo.upsert_transactions(session, account.id, booked + pending)
    return account


def test_pages_list_pending_first_then_newest(
    client: TestClient, db_session: Session, user: User
) -> None:
    account = _account(db_session, user)
    headers = auth_headers_for(user)

    first = client.get(
        f"/api/accounts/{account.id}/transactions", params={"limit": 3}, headers=headers
    ).json()
    rest = client.get(
        f"/api/accounts/{account.id}/transactions",
        params={"limit": 3, "offset": 3},
        headers=headers,
    ).json()

    assert (first["total"], first["limit"], first["offset"]) == (7, 3, 0)
    assert [t["status"] for t in first["transactions"]] == ["pending", "pending", "booked"]
    assert [t["bank_transaction_id"] for t in first["transactions"]] == [None, None, "T0"]
    assert first["transactions"][2] == {
        "id": first["transactions"][2]["id"],
        "bank_transaction_id": "T0",
        "status": "booked",
        "amount": "-45.00",
        "currency": "EUR",
        "booking_date": "2026-12-01",
        "value_date": "2026-12-01",
        "description": "PAYMENT 0",
        "counterparty": "Corner Coffee",
    }
    assert [t["bank_transaction_id"] for t in rest["transactions"]] == ["T1", "T2", "T3"]
    assert rest["total"] == 7
    beyond = client.get(
        f"/api/accounts/{account.id}/transactions", params={"offset": 50}, headers=headers
    ).json()
    assert beyond["transactions"] == [] and beyond["total"] == 7


def test_another_users_account_is_not_found(
    client: TestClient, db_session: Session, user: User, other_user: User
) -> None:
    account = _account(db_session, other_user)
    db_session.commit()  # an error answer rolls the request's work back, not the set-up

    for account_id in (account.id, uuid.uuid4()):
        response = client.get(
            f"/api/accounts/{account_id}/transactions", headers=auth_headers_for(user)
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Account not found"}


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}]
)
def test_bad_paging_is_refused(
    client: TestClient, db_session: Session, user: User, params: dict[str, object]
) -> None:
    account = _account(db_session, user)

    response = client.get(
        f"/api/accounts/{account.id}/transactions", params=params, headers=auth_headers_for(user)
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request: query.")


def test_bad_account_id_is_refused(client: TestClient, user: User) -> None:
    response = client.get("/api/accounts/not-a-uuid/transactions", headers=auth_headers_for(user))

    assert response.status_code == 422
