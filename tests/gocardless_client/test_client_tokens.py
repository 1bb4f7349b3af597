from __future__ import annotations

import threading
import time

import pytest

from app.config import EMULATOR_SECRET_ID
from app.providers.gocardless import AuthenticationFailed, GoCardlessClient
from emulator.testing import EmulatorControl
from tests.gocardless_client.conftest import make_client


def _token_calls(control: EmulatorControl) -> list[tuple[str, int]]:
    return [
        (call["path"].removeprefix("/api/v2/"), call["status"])
        for call in control.calls()
        if call["path"].startswith("/api/v2/token/")
    ]


def test_one_token_serves_many_calls(client: GoCardlessClient, control: EmulatorControl) -> None:
    for _ in range(3):
        client.list_institutions("GB")
    assert _token_calls(control) == [("token/new/", 200)]


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_refreshes_ahead_of_expiry(control: EmulatorControl) -> None:
    control.set_token_lifetimes(access_seconds=30)
    clock = FakeClock()
    with make_client(control, refresh_margin_seconds=60, clock=clock) as client:
        client.list_institutions("GB")
        client.list_institutions("GB")
        assert _token_calls(control) == [("token/new/", 200)]
        clock.offset = 16
        client.list_institutions("GB")
        client.list_institutions("GB")
    assert _token_calls(control) == [("token/new/", 200), ("token/refresh/", 200)]
    assert all(call["status"] == 200 for call in control.calls())


def test_refresh_margin_is_respected(control: EmulatorControl) -> None:
    control.set_token_lifetimes(access_seconds=3600)
    clock = FakeClock()
    with make_client(control, refresh_margin_seconds=120, clock=clock) as client:
        client.list_institutions("GB")
        clock.offset = 3600 - 121
        client.list_institutions("GB")
        assert _token_calls(control) == [("token/new/", 200)]
        clock.offset = 3600 - 119
        client.list_institutions("GB")
    assert _token_calls(control) == [("token/new/", 200), ("token/refresh/", 200)]


def test_expired_refresh_token_falls_back_to_a_new_pair(control: EmulatorControl) -> None:
    control.set_token_lifetimes(access_seconds=30, refresh_seconds=60)
    clock = FakeClock()
    with make_client(control, clock=clock) as client:
        client.list_institutions("GB")
        clock.offset = 61
        client.list_institutions("GB")
    assert _token_calls(control) == [("token/new/", 200), ("token/new/", 200)]


def test_tokens_that_expire_at_once_end_in_authentication_failed(
    control: EmulatorControl,
) -> None:
    control.set_token_lifetimes(access_seconds=0, refresh_seconds=0)
    with make_client(control) as client, pytest.raises(AuthenticationFailed):
        client.list_institutions("GB")
    institution_calls = [c["status"] for c in control.calls() if "institutions" in c["path"]]
    assert institution_calls == [401, 401]


def test_refused_refresh_falls_back_to_a_new_pair(control: EmulatorControl) -> None:
    control.set_token_lifetimes(access_seconds=30)
    clock = FakeClock()
    with make_client(control, clock=clock) as client:
        client.list_institutions("GB")
        control.revoke_tokens()
        clock.offset = 20
        assert client.list_institutions("GB")
    assert _token_calls(control) == [
        ("token/new/", 200),
        ("token/refresh/", 401),
        ("token/new/", 200),
    ]
    institution_calls = [c["status"] for c in control.calls() if "institutions" in c["path"]]
    assert institution_calls == [200, 200]


def test_invalid_token_is_retried_once_with_a_new_token(
    client: GoCardlessClient, control: EmulatorControl
) -> None:
    client.list_institutions("GB")
    control.revoke_tokens()
    assert client.get_institution("SANDBOXFINANCE_SFIN0000").id == "SANDBOXFINANCE_SFIN0000"
    institution_calls = [
        call["status"] for call in control.calls() if call["path"].endswith("SFIN0000/")
    ]
    assert institution_calls == [401, 200]
    assert _token_calls(control)[-2:] == [("token/refresh/", 401), ("token/new/", 200)]


def test_bad_credentials(control: EmulatorControl) -> None:
    with (
        GoCardlessClient(control.api_base_url, EMULATOR_SECRET_ID, "wrong-key") as client,
        pytest.raises(AuthenticationFailed) as raised,
    ):
        client.list_institutions("GB")
    error = raised.value
    assert error.status_code == 401
    assert error.summary == "Authentication failed"
    assert error.retryable is False
    assert "GOCARDLESS_SECRET_KEY" in error.user_message


def test_concurrent_calls_share_one_token(
    client: GoCardlessClient, control: EmulatorControl
) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.list_institutions("DE")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _token_calls(control) == [("token/new/", 200)]
