from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY, Settings
from app.providers.gocardless import (
    GoCardlessClient,
    NotFound,
    Requisition,
    RequisitionStatus,
    get_gocardless_client,
)
from emulator.testing import EmulatorControl
from tests.gocardless_client.conftest import REDIRECT, SANDBOX


def test_from_settings(control: EmulatorControl) -> None:
    settings = Settings(
        gocardless_base_url=control.api_base_url,
        gocardless_secret_id=EMULATOR_SECRET_ID,
        gocardless_secret_key=EMULATOR_SECRET_KEY,
        gocardless_timeout_seconds=3,
    )
    with get_gocardless_client(settings) as client:
        assert client.base_url == control.api_base_url
        assert client.list_institutions("XX")[0].id == SANDBOX


def test_institutions(client: GoCardlessClient) -> None:
    gb = client.list_institutions("GB")
    assert gb
    assert all("GB" in i.countries for i in gb)
    assert all(isinstance(i.transaction_total_days, int) for i in gb)
    assert SANDBOX not in {i.id for i in gb}
    sandbox = client.get_institution(SANDBOX)
    assert sandbox.transaction_total_days == 90
    assert sandbox.countries == ["XX"]
    assert sandbox.bic == "SFIN0000"
    assert len(client.list_institutions()) > len(gb)


def test_agreement_and_requisition_lifecycle(
    client: GoCardlessClient, control: EmulatorControl
) -> None:
    agreement = client.create_agreement(SANDBOX, 60, 30, ["balances", "transactions"])
    assert agreement.max_historical_days == 60
    assert agreement.access_valid_for_days == 30
    assert agreement.access_scope == ["balances", "transactions"]
    assert agreement.accepted is None

    reference = str(uuid.uuid4())
    requisition = client.create_requisition(REDIRECT, SANDBOX, reference, agreement.id)
    assert requisition.status is RequisitionStatus.CREATED
    assert requisition.status.is_pending
    assert requisition.reference == reference
    assert requisition.agreement == agreement.id
    assert requisition.link.startswith(control.base_url + "/start/")

    control.approve(requisition.link)
    linked = client.get_requisition(requisition.id)
    assert linked.status is RequisitionStatus.LINKED
    assert linked.status.is_linked
    assert len(linked.accounts) == 2
    assert client.get_agreement(agreement.id).accepted is not None

    page = client.list_requisitions()
    assert page.count == 1
    assert page.results[0].id == requisition.id

    client.delete_requisition(requisition.id)
    with pytest.raises(NotFound):
        client.get_requisition(requisition.id)


def test_requisition_statuses(client: GoCardlessClient, control: EmulatorControl) -> None:
    requisition = client.create_requisition(REDIRECT, SANDBOX, "r-ua")
    control.force_status(requisition.id, "UA")
    status = client.get_requisition(requisition.id).status
    assert status is RequisitionStatus.UNDERGOING_AUTHENTICATION
    assert status.is_pending
    control.force_status(requisition.id, "RJ")
    assert client.get_requisition(requisition.id).status.is_failed


def test_account_metadata(client: GoCardlessClient, linked: Requisition) -> None:
    account = client.get_account(linked.accounts[0])
    assert account.id == linked.accounts[0]
    assert account.iban == "GL3343697694912188"
    assert account.status == "READY"
    assert account.owner_name == "John Doe"
    assert account.institution_id == SANDBOX


def test_account_details(client: GoCardlessClient, account_id: str) -> None:
    details = client.get_account_details(account_id)
    assert details.account.iban == "GL3343697694912188"
    assert details.account.currency == "EUR"
    assert details.account.owner_name == "John Doe"
    assert details.account.cash_account_type == "CACC"
    assert details.quota is not None
    assert details.quota.scope == "details"
    assert (details.quota.limit, details.quota.remaining) == (4, 3)


def test_account_balances(client: GoCardlessClient, account_id: str) -> None:
    balances = client.get_account_balances(account_id)
    assert [b.balance_type for b in balances.balances] == ["expected", "interimAvailable"]
    for balance in balances.balances:
        assert isinstance(balance.balance_amount.amount, Decimal)
        assert balance.balance_amount.currency == "EUR"
        assert balance.reference_date == datetime.now(UTC).date()
    assert balances.quota is not None
    assert balances.quota.remaining == 3


def test_account_transactions(client: GoCardlessClient, account_id: str) -> None:
    result = client.get_account_transactions(account_id)
    booked, pending = result.transactions.booked, result.transactions.pending
    assert len(booked) >= 24
    for item in booked:
        assert item.transaction_id
        assert item.internal_transaction_id
        assert isinstance(item.booking_date, date)
        assert isinstance(item.transaction_amount.amount, Decimal)
        assert item.creditor_name or item.debtor_name
        assert item.remittance_information_unstructured
    assert len(pending) == 2
    assert all(item.transaction_id is None for item in pending)
    assert result.quota is not None
    assert result.quota.scope == "transactions"


def test_transactions_date_filter(client: GoCardlessClient, account_id: str) -> None:
    today = datetime.now(UTC).date()
    date_from, date_to = today - timedelta(days=40), today - timedelta(days=5)
    result = client.get_account_transactions(account_id, date_from, date_to)
    assert result.transactions.booked
    for item in result.transactions.booked:
        assert item.booking_date is not None
        assert date_from <= item.booking_date <= date_to


def test_quota_is_read_from_headers_and_remembered(
    client: GoCardlessClient, account_id: str
) -> None:
    assert client.last_quota(account_id, "balances") is None
    for expected in (3, 2, 1, 0):
        quota = client.get_account_balances(account_id).quota
        assert quota is not None
        assert quota.remaining == expected
    last = client.last_quota(account_id, "balances")
    assert last is not None
    assert last.remaining == 0
    assert last.exhausted
    assert 86000 < last.reset_seconds <= 86400
    assert last.reset_at > datetime.now(UTC) + timedelta(hours=23)
    assert client.last_quota(account_id, "transactions") is None
