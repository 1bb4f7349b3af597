from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from time import sleep

import httpx
import pytest

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
from app.providers.gocardless import (
    AccessRevoked,
    AccountProcessing,
    AccountSuspended,
    AgreementExpired,
    BankUnavailable,
    GoCardlessClient,
    GoCardlessError,
    InvalidRequest,
    NotFound,
    RateLimited,
    ReauthorisationRequired,
    Requisition,
)
from app.providers.gocardless.errors import error_from_response, rate_limit_message
from emulator.testing import EmulatorControl, free_port
from tests.gocardless_client.conftest import REDIRECT, SANDBOX

RECONNECT = "Bank access expired; reconnect the bank"


def _next_midnight() -> datetime:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time.min, tzinfo=UTC)


def test_daily_quota_exhausted(client: GoCardlessClient, account_id: str) -> None:
    for _ in range(4):
        client.get_account_transactions(account_id)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as raised:
        client.get_account_transactions(account_id)
    error = raised.value
    assert error.status_code == 429
    assert error.source == "account"
    assert error.scope == "transactions"
    assert error.retryable is False
    expected = before + timedelta(seconds=86400)
    assert abs((error.retry_at - expected).total_seconds()) < 10
    assert error.user_message == rate_limit_message(error.retry_at, datetime.now(UTC))
    assert error.user_message.startswith("Rate limit reached; next sync possible after ")
    assert error.user_message.endswith(" UTC")


def test_rate_limit_fault_uses_the_reset_seconds(
    client: GoCardlessClient, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="rate_limit", reset_seconds=600)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as raised:
        client.get_account_balances(account_id)
    error = raised.value
    assert abs((error.retry_at - (before + timedelta(seconds=600))).total_seconds()) < 5
    assert error.source == "account"
    assert error.retryable is False


def test_short_general_limit_is_retryable(
    client: GoCardlessClient, control: EmulatorControl, account_id: str
) -> None:
    control.set_limits(accounts_per_minute=1)
    client.get_account(account_id)
    with pytest.raises(RateLimited) as raised:
        client.get_account(account_id)
    error = raised.value
    assert error.source == "general"
    assert error.retryable is True
    assert error.retry_at <= datetime.now(UTC) + timedelta(seconds=61)


def test_bank_rate_limit_waits_for_the_next_day(
    client: GoCardlessClient, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="bank_rate_limit")
    with pytest.raises(RateLimited) as raised:
        client.get_account_transactions(account_id)
    error = raised.value
    assert error.source == "institution"
    assert error.error_type == "RateLimitError"
    assert error.retry_at == _next_midnight()
    assert error.retryable is False
    assert "next sync possible after" in error.user_message


@pytest.mark.parametrize(
    ("mode", "exception"),
    [("agreement_expired", AgreementExpired), ("access_revoked", AccessRevoked)],
)
def test_reauthorisation_required(
    client: GoCardlessClient,
    control: EmulatorControl,
    account_id: str,
    mode: str,
    exception: type[ReauthorisationRequired],
) -> None:
    control.set_faults(mode=mode)
    with pytest.raises(exception) as raised:
        client.get_account_transactions(account_id)
    error = raised.value
    assert isinstance(error, ReauthorisationRequired)
    assert error.user_message == RECONNECT
    assert error.retryable is False
    assert error.status_code == 401


def test_expired_requisition_is_agreement_expired(
    client: GoCardlessClient, control: EmulatorControl, linked: Requisition
) -> None:
    control.force_status(linked.id, "EX")
    with pytest.raises(AgreementExpired):
        client.get_account_balances(linked.accounts[0])


def test_account_suspended(
    client: GoCardlessClient, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="account_suspended")
    with pytest.raises(AccountSuspended) as raised:
        client.get_account_details(account_id)
    assert raised.value.status_code == 409
    assert raised.value.retryable is False
    assert "reconnect the bank" in raised.value.user_message
    assert client.get_account(account_id).status == "SUSPENDED"


def test_account_processing_is_retryable(
    client: GoCardlessClient, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="account_processing", times=1)
    with pytest.raises(AccountProcessing) as raised:
        client.get_account_details(account_id)
    assert raised.value.retryable is True
    assert raised.value.status_code == 409
    assert client.get_account_details(account_id).account.iban


def test_bank_down(client: GoCardlessClient, control: EmulatorControl, account_id: str) -> None:
    control.set_faults(mode="bank_down")
    with pytest.raises(BankUnavailable) as raised:
        client.get_account_balances(account_id)
    error = raised.value
    assert error.status_code == 503
    assert error.error_type == "ServiceError"
    assert error.retryable is True
    assert error.user_message == "The bank is temporarily unavailable; try again later"


def test_failed_calls_leave_the_quota_alone(
    client: GoCardlessClient, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="bank_down", times=2)
    for _ in range(2):
        with pytest.raises(BankUnavailable):
            client.get_account_balances(account_id)
    quota = client.get_account_balances(account_id).quota
    assert quota is not None
    assert quota.remaining == 3


def test_invalid_request_carries_field_errors(client: GoCardlessClient, account_id: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        client.create_agreement(SANDBOX, max_historical_days=365)
    error = raised.value
    assert error.status_code == 400
    assert set(error.field_errors) == {"max_historical_days"}
    assert error.field_errors["max_historical_days"].summary == "Incorrect max_historical_days"
    assert "max_historical_days" in error.user_message
    assert error.retryable is False

    today = datetime.now(UTC).date()
    with pytest.raises(InvalidRequest) as dates:
        client.get_account_transactions(account_id, today, today - timedelta(days=3))
    assert "date_from" in dates.value.field_errors


def test_reference_reuse_is_invalid_request(client: GoCardlessClient) -> None:
    client.create_requisition(REDIRECT, SANDBOX, "same-reference")
    with pytest.raises(InvalidRequest) as raised:
        client.create_requisition(REDIRECT, SANDBOX, "same-reference")
    assert "reference" in raised.value.field_errors


def test_unknown_country_is_invalid_request(client: GoCardlessClient) -> None:
    with pytest.raises(InvalidRequest) as raised:
        client.list_institutions("ZZ")
    assert raised.value.field_errors["country"].detail == '"ZZ" is not a valid choice.'


def test_not_found(client: GoCardlessClient) -> None:
    with pytest.raises(NotFound) as raised:
        client.get_account("00000000-0000-4000-8000-000000000000")
    assert raised.value.status_code == 404
    with pytest.raises(NotFound):
        client.get_institution("NO_SUCH_BANK")


def test_connection_refused_is_bank_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}/api/v2/"
    with (
        GoCardlessClient(url, EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY, 2.0) as client,
        pytest.raises(BankUnavailable) as raised,
    ):
        client.list_institutions("GB")
    assert raised.value.retryable is True
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def test_timeout_is_bank_unavailable(control: EmulatorControl) -> None:
    control.set_faults(latency_ms=500)
    slow = GoCardlessClient(control.api_base_url, EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY, 0.2)
    with slow, pytest.raises(BankUnavailable) as raised:
        slow.list_institutions("GB")
    assert isinstance(raised.value.__cause__, httpx.TimeoutException)
    assert raised.value.retryable is True
    # Let the abandoned request finish so it does not land in the next test's call log.
    sleep(0.5)


def test_every_error_is_a_gocardless_error() -> None:
    for exception in (
        AccessRevoked,
        AccountProcessing,
        AccountSuspended,
        AgreementExpired,
        BankUnavailable,
        InvalidRequest,
        NotFound,
    ):
        assert issubclass(exception, GoCardlessError)
    assert issubclass(RateLimited, GoCardlessError)


def test_rate_limit_message_rounds_up_to_the_minute() -> None:
    now = datetime(2025, 3, 1, 13, 50, tzinfo=UTC)
    same_day = datetime(2025, 3, 1, 14, 4, 30, tzinfo=UTC)
    assert rate_limit_message(same_day, now) == (
        "Rate limit reached; next sync possible after 14:05 UTC"
    )
    exact = datetime(2025, 3, 1, 14, 5, tzinfo=UTC)
    assert rate_limit_message(exact, now).endswith("after 14:05 UTC")
    tomorrow = datetime(2025, 3, 2, 9, 0, 1, tzinfo=UTC)
    assert rate_limit_message(tomorrow, now) == (
        "Rate limit reached; next sync possible after 2025-03-02 09:01 UTC"
    )


def test_pre_2025_agreement_expired_400_is_still_recognised() -> None:
    request = httpx.Request("GET", "https://example.test/api/v2/accounts/x/transactions/")
    response = httpx.Response(
        400,
        json={
            "summary": "End User Agreement (EUA) 3fa85f64 has expired",
            "detail": "EUA was valid for 90 days and it expired at 2024-01-01 10:00:00+00:00",
            "status_code": 400,
        },
        request=request,
    )
    assert isinstance(error_from_response(response), AgreementExpired)


def test_retry_after_from_detail_without_headers() -> None:
    request = httpx.Request("GET", "https://example.test/api/v2/accounts/x/details/")
    response = httpx.Response(
        429,
        json={
            "summary": "Rate limit exceeded",
            "detail": (
                "The rate limit for this resource is 4/day. Please try again in 85092 seconds"
            ),
            "status_code": 429,
        },
        request=request,
    )
    now = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    error = error_from_response(response, scope="details", now=now)
    assert isinstance(error, RateLimited)
    assert error.retry_at == now + timedelta(seconds=85092)
    assert error.source == "account"
    assert error.user_message == "Rate limit reached; next sync possible after 23:39 UTC"
