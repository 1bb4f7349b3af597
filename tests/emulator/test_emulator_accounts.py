from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from emulator.testing import EmulatorControl
from tests.emulator.helpers import SANDBOX, SANDBOX_IBANS, link_requisition

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


def _today() -> date:
    return datetime.now(UTC).date()


def test_account_metadata(api: httpx.Client, linked: dict[str, Any]) -> None:
    for account_id, iban, owner in zip(
        linked["accounts"], SANDBOX_IBANS, ("John Doe", "Jane Doe"), strict=True
    ):
        response = api.get(f"accounts/{account_id}/")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "id",
            "created",
            "last_accessed",
            "iban",
            "institution_id",
            "status",
            "owner_name",
        }
        assert body["id"] == account_id
        assert body["iban"] == iban
        assert body["owner_name"] == owner
        assert body["institution_id"] == SANDBOX
        assert body["status"] == "READY"
        assert "http_x_ratelimit_account_success_limit" not in response.headers


def test_metadata_does_not_use_the_daily_quota(api: httpx.Client, account_id: str) -> None:
    for _ in range(6):
        assert api.get(f"accounts/{account_id}/").status_code == 200


def test_last_accessed_is_set_by_data_calls(api: httpx.Client, account_id: str) -> None:
    assert api.get(f"accounts/{account_id}/").json()["last_accessed"] is None
    api.get(f"accounts/{account_id}/details/")
    assert api.get(f"accounts/{account_id}/").json()["last_accessed"] is not None


def test_details_shape(api: httpx.Client, linked: dict[str, Any]) -> None:
    details = [api.get(f"accounts/{a}/details/").json() for a in linked["accounts"]]
    for body, iban, owner in zip(details, SANDBOX_IBANS, ("John Doe", "Jane Doe"), strict=True):
        assert set(body) == {"account"}
        account = body["account"]
        assert set(account) == {
            "resourceId",
            "iban",
            "currency",
            "ownerName",
            "name",
            "product",
            "cashAccountType",
        }
        assert account["iban"] == iban
        assert account["ownerName"] == owner
        assert account["currency"] == "EUR"
        assert account["name"] == "Main Account"
        assert account["product"] == "Checkings"
        assert account["cashAccountType"] == "CACC"


def test_balances_shape(api: httpx.Client, account_id: str) -> None:
    response = api.get(f"accounts/{account_id}/balances/")
    assert response.status_code == 200
    balances = response.json()["balances"]
    assert [b["balanceType"] for b in balances] == ["expected", "interimAvailable"]
    for balance in balances:
        assert set(balance) == {"balanceAmount", "balanceType", "referenceDate"}
        assert AMOUNT.match(balance["balanceAmount"]["amount"])
        assert balance["balanceAmount"]["currency"] == "EUR"
        assert balance["referenceDate"] == _today().isoformat()


def _transactions(api: httpx.Client, account_id: str, **params: str) -> dict[str, Any]:
    response = api.get(f"accounts/{account_id}/transactions/", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"transactions"}
    transactions: dict[str, Any] = body["transactions"]
    return transactions


def test_transactions_shape(api: httpx.Client, account_id: str) -> None:
    transactions = _transactions(api, account_id)
    booked, pending = transactions["booked"], transactions["pending"]
    assert 24 <= len(booked) <= 120
    today = _today()
    ids = set()
    for item in booked:
        assert {
            "transactionId",
            "internalTransactionId",
            "bookingDate",
            "valueDate",
            "transactionAmount",
            "remittanceInformationUnstructured",
        } <= set(item)
        assert ("creditorName" in item) != ("debtorName" in item)
        assert AMOUNT.match(item["transactionAmount"]["amount"])
        assert item["transactionAmount"]["currency"] == "EUR"
        booked_on = date.fromisoformat(item["bookingDate"])
        assert today - timedelta(days=90) <= booked_on < today
        ids.add(item["transactionId"])
    assert len(ids) == len(booked)
    dates = [item["bookingDate"] for item in booked]
    assert dates == sorted(dates, reverse=True)
    assert len(pending) == 2
    for item in pending:
        assert "transactionId" not in item
        assert Decimal(item["transactionAmount"]["amount"]) < 0
        assert "valueDate" in item
    credits = [i for i in booked if Decimal(i["transactionAmount"]["amount"]) > 0]
    assert credits
    assert all("iban" in i["debtorAccount"] for i in credits)


def test_transactions_are_deterministic_per_iban(
    api: httpx.Client, control: EmulatorControl, linked: dict[str, Any]
) -> None:
    other = link_requisition(api, control)
    first = _transactions(api, linked["accounts"][0])
    again = _transactions(api, other["accounts"][0])
    assert first == again
    jane = _transactions(api, linked["accounts"][1])
    assert jane["booked"] != first["booked"]


def test_date_filtering(api: httpx.Client, account_id: str) -> None:
    today = _today()
    date_from = (today - timedelta(days=30)).isoformat()
    date_to = (today - timedelta(days=10)).isoformat()
    window = _transactions(api, account_id, date_from=date_from, date_to=date_to)
    assert window["booked"]
    assert all(date_from <= i["bookingDate"] <= date_to for i in window["booked"])
    assert window["pending"] == []
    recent = _transactions(api, account_id, date_from=(today - timedelta(days=5)).isoformat())
    assert all(
        i["bookingDate"] >= (today - timedelta(days=5)).isoformat() for i in recent["booked"]
    )
    assert len(recent["pending"]) == 2


def test_history_is_capped_by_the_agreement(api: httpx.Client, control: EmulatorControl) -> None:
    agreement = api.post(
        "agreements/enduser/", json={"institution_id": SANDBOX, "max_historical_days": 10}
    ).json()
    requisition = api.post(
        "requisitions/",
        json={
            "redirect": "http://x.test/cb",
            "institution_id": SANDBOX,
            "agreement": agreement["id"],
        },
    ).json()
    control.approve(requisition["link"])
    account = api.get(f"requisitions/{requisition['id']}/").json()["accounts"][0]
    booked = _transactions(api, account)["booked"]
    oldest = (_today() - timedelta(days=10)).isoformat()
    assert all(i["bookingDate"] >= oldest for i in booked)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2024-05-10", "date_to": "2024-05-01"}, "date_from"),
        ({"date_from": "10/05/2024"}, "date_from"),
        ({"date_to": "2024-02-30"}, "date_to"),
    ],
)
def test_bad_dates_are_a_400_keyed_by_field(
    api: httpx.Client, account_id: str, params: dict[str, str], field: str
) -> None:
    response = api.get(f"accounts/{account_id}/transactions/", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 400
    assert set(body[field]) == {"summary", "detail"}


def test_unknown_account_is_404(api: httpx.Client) -> None:
    for path in ("", "details/", "balances/", "transactions/"):
        response = api.get(f"accounts/6b1fbbd4-0000-4000-8000-000000000000/{path}")
        assert response.status_code == 404
        assert response.json()["status_code"] == 404


def test_expired_requisition_answers_eua_expired(
    api: httpx.Client, control: EmulatorControl, linked: dict[str, Any]
) -> None:
    control.force_status(linked["id"], "EX")
    account_id = linked["accounts"][0]
    response = api.get(f"accounts/{account_id}/balances/")
    assert response.status_code == 401
    assert (
        response.json()["summary"] == f"End User Agreement (EUA) {linked['agreement']} has expired"
    )
    assert api.get(f"accounts/{account_id}/").json()["status"] == "EXPIRED"
