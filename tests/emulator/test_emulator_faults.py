from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from emulator.testing import EmulatorControl

EXPECTED: dict[str, tuple[int, str, str | None]] = {
    "rate_limit": (429, "Rate limit exceeded", None),
    "agreement_expired": (401, "End User Agreement (EUA) {agreement} has expired", None),
    "access_revoked": (401, "Couldn't update account transactions", "AccessExpiredError"),
    "bank_down": (503, "Institution service unavailable", "ServiceError"),
    "bank_rate_limit": (429, "Couldn't update account transactions", "RateLimitError"),
    "account_processing": (409, "Account is being processed", "AccountProcessing"),
    "account_suspended": (409, "Account suspended", "AccountSuspended"),
}
DETAILS = {
    "access_revoked": (
        "Access has expired or it has been revoked. To restore access reconnect the account."
    ),
    "bank_rate_limit": "Daily request limit set by the Institution has been exceeded.",
}


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_fault_answers(
    api: httpx.Client, control: EmulatorControl, linked: dict[str, Any], mode: str
) -> None:
    status, summary, error_type = EXPECTED[mode]
    account_id = linked["accounts"][0]
    control.set_faults(mode=mode)
    response = api.get(f"accounts/{account_id}/transactions/")
    assert response.status_code == status
    body = response.json()
    assert body["summary"] == summary.format(agreement=linked["agreement"])
    assert body["status_code"] == status
    assert body.get("type") == error_type
    if mode in DETAILS:
        assert body["detail"] == DETAILS[mode]
    if mode == "agreement_expired":
        assert body["detail"].startswith("EUA was valid for 90 days and it expired at ")
    if mode == "rate_limit":
        assert body["detail"].startswith("The rate limit for this resource is 4/day.")
        assert response.headers["http_x_ratelimit_account_success_remaining"] == "0"
        assert int(response.headers["http_x_ratelimit_account_success_reset"]) > 0

    control.set_faults(mode=None)
    assert api.get(f"accounts/{account_id}/transactions/").status_code == 200


def test_rate_limit_fault_reset_seconds(
    api: httpx.Client, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="rate_limit", reset_seconds=120)
    response = api.get(f"accounts/{account_id}/balances/")
    assert response.json()["detail"].endswith("Please try again in 120 seconds")
    assert response.headers["http_x_ratelimit_account_success_reset"] == "120"


def test_faults_target_accounts_and_scopes(
    api: httpx.Client, control: EmulatorControl, linked: dict[str, Any]
) -> None:
    first, second = linked["accounts"]
    control.set_faults(mode="bank_down", account_ids=[first], scopes=["transactions"])
    assert api.get(f"accounts/{first}/transactions/").status_code == 503
    assert api.get(f"accounts/{first}/balances/").status_code == 200
    assert api.get(f"accounts/{second}/transactions/").status_code == 200


def test_fault_times_counts_down(
    api: httpx.Client, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="account_processing", times=1)
    assert api.get(f"accounts/{account_id}/details/").status_code == 409
    assert api.get(f"accounts/{account_id}/details/").status_code == 200
    assert control.http.get("/_emulator/faults").json()["mode"] is None


def test_processing_and_suspended_show_in_account_status(
    api: httpx.Client, control: EmulatorControl, account_id: str
) -> None:
    control.set_faults(mode="account_processing")
    assert api.get(f"accounts/{account_id}/").json()["status"] == "PROCESSING"
    control.set_faults(mode="account_suspended")
    assert api.get(f"accounts/{account_id}/").json()["status"] == "SUSPENDED"
    control.clear_faults()
    assert api.get(f"accounts/{account_id}/").json()["status"] == "READY"


def test_latency_slows_api_answers(api: httpx.Client, control: EmulatorControl) -> None:
    control.set_faults(latency_ms=300)
    started = time.monotonic()
    assert api.get("institutions/", params={"country": "GB"}).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    control.http.get("/_emulator/health")
    assert time.monotonic() - started < 0.3


def test_setting_one_field_keeps_the_others(control: EmulatorControl) -> None:
    control.set_faults(mode="bank_down", latency_ms=50)
    faults = control.set_faults(consent_outcome="UA")
    assert faults["mode"] == "bank_down"
    assert faults["latency_ms"] == 50
    assert faults["consent_outcome"] == "UA"
    assert control.set_faults(mode=None)["mode"] is None


def test_unknown_mode_is_refused(control: EmulatorControl) -> None:
    response = control.http.post("/_emulator/faults", json={"mode": "meteor"})
    assert response.status_code == 422
