from __future__ import annotations

import re
from typing import Any

import httpx

from emulator.testing import EmulatorControl

RATE_LIMIT_DETAIL = re.compile(
    r"^The rate limit for this resource is 4/day\. Please try again in (\d+) seconds$"
)


def test_four_successful_calls_per_account_and_scope(api: httpx.Client, account_id: str) -> None:
    remaining = []
    for _ in range(4):
        response = api.get(f"accounts/{account_id}/balances/")
        assert response.status_code == 200
        assert response.headers["http_x_ratelimit_account_success_limit"] == "4"
        assert 0 < int(response.headers["http_x_ratelimit_account_success_reset"]) <= 86400
        remaining.append(response.headers["http_x_ratelimit_account_success_remaining"])
        assert response.headers["http_x_ratelimit_limit"] == "100"
        assert "http_x_ratelimit_remaining" in response.headers
        assert "http_x_ratelimit_reset" in response.headers
    assert remaining == ["3", "2", "1", "0"]

    refused = api.get(f"accounts/{account_id}/balances/")
    assert refused.status_code == 429
    body = refused.json()
    assert body["summary"] == "Rate limit exceeded"
    assert body["status_code"] == 429
    match = RATE_LIMIT_DETAIL.match(body["detail"])
    assert match is not None
    seconds = int(match.group(1))
    assert 86000 < seconds <= 86400
    assert refused.headers["http_x_ratelimit_account_success_remaining"] == "0"
    assert refused.headers["http_x_ratelimit_account_success_reset"] == str(seconds)
    assert "http_x_ratelimit_reset" in refused.headers


def test_scopes_and_accounts_have_separate_quotas(
    api: httpx.Client, linked: dict[str, Any]
) -> None:
    first, second = linked["accounts"]
    for _ in range(4):
        assert api.get(f"accounts/{first}/details/").status_code == 200
    assert api.get(f"accounts/{first}/details/").status_code == 429
    assert api.get(f"accounts/{first}/transactions/").status_code == 200
    assert api.get(f"accounts/{second}/details/").status_code == 200


def test_failed_calls_do_not_count(
    api: httpx.Client, control: EmulatorControl, account_id: str
) -> None:
    for _ in range(3):
        bad = api.get(
            f"accounts/{account_id}/transactions/",
            params={"date_from": "2024-02-01", "date_to": "2024-01-01"},
        )
        assert bad.status_code == 400
    control.set_faults(mode="bank_down", times=2)
    assert api.get(f"accounts/{account_id}/transactions/").status_code == 503
    assert api.get(f"accounts/{account_id}/transactions/").status_code == 503
    ok = api.get(f"accounts/{account_id}/transactions/")
    assert ok.status_code == 200
    assert ok.headers["http_x_ratelimit_account_success_remaining"] == "3"


def test_quota_reset_control(api: httpx.Client, control: EmulatorControl, account_id: str) -> None:
    for _ in range(4):
        api.get(f"accounts/{account_id}/details/")
    assert api.get(f"accounts/{account_id}/details/").status_code == 429
    usage = control.http.get("/_emulator/quota").json()
    entry = next(q for q in usage if q["account_id"] == account_id and q["scope"] == "details")
    assert entry["used"] == 4
    assert entry["remaining"] == 0
    control.reset_quota(account_id=account_id)
    response = api.get(f"accounts/{account_id}/details/")
    assert response.status_code == 200
    assert response.headers["http_x_ratelimit_account_success_remaining"] == "3"


def test_daily_limit_is_configurable(
    api: httpx.Client, control: EmulatorControl, account_id: str
) -> None:
    control.set_limits(account_success_per_day=1)
    first = api.get(f"accounts/{account_id}/balances/")
    assert first.headers["http_x_ratelimit_account_success_limit"] == "1"
    assert first.headers["http_x_ratelimit_account_success_remaining"] == "0"
    refused = api.get(f"accounts/{account_id}/balances/")
    assert refused.status_code == 429
    assert "1/day" in refused.json()["detail"]


def test_general_per_minute_limit(
    api: httpx.Client, control: EmulatorControl, account_id: str
) -> None:
    control.set_limits(accounts_per_minute=2)
    assert api.get(f"accounts/{account_id}/").status_code == 200
    assert api.get(f"accounts/{account_id}/").status_code == 200
    refused = api.get(f"accounts/{account_id}/")
    assert refused.status_code == 429
    assert refused.json()["summary"] == "Rate limit exceeded"
    assert "2/min" in refused.json()["detail"]
    assert refused.headers["http_x_ratelimit_remaining"] == "0"
    assert 0 < int(refused.headers["http_x_ratelimit_reset"]) <= 60
    assert api.get("institutions/", params={"country": "GB"}).status_code == 200
