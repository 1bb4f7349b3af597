from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
from emulator.testing import EmulatorControl

INVALID_TOKEN = {
    "summary": "Invalid token",
    "detail": "Token is invalid or expired",
    "status_code": 401,
}


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_new_token_has_the_documented_shape(tokens: dict[str, Any]) -> None:
    assert set(tokens) == {"access", "access_expires", "refresh", "refresh_expires"}
    assert tokens["access_expires"] == 86400
    assert tokens["refresh_expires"] == 2592000
    access, refresh = _claims(tokens["access"]), _claims(tokens["refresh"])
    assert access["type"] == "access"
    assert refresh["type"] == "refresh"
    assert access["exp"] - access["iat"] == 86400
    assert refresh["exp"] - refresh["iat"] == 2592000
    assert jwt.get_unverified_header(tokens["access"])["alg"] == "HS256"


def test_bad_credentials_are_refused(control: EmulatorControl) -> None:
    response = httpx.post(
        f"{control.api_base_url}token/new/",
        json={"secret_id": EMULATOR_SECRET_ID, "secret_key": "wrong"},
    )
    assert response.status_code == 401
    assert response.json() == {
        "summary": "Authentication failed",
        "detail": "No active account found with the given credentials",
        "status_code": 401,
    }


def test_missing_credentials_are_a_400_keyed_by_field(control: EmulatorControl) -> None:
    response = httpx.post(f"{control.api_base_url}token/new/", json={"secret_id": "x"})
    assert response.status_code == 400
    body = response.json()
    assert body["secret_key"]["summary"] == "This field is required."
    assert "secret_id" not in body


def test_refresh_returns_a_new_access_token(
    control: EmulatorControl, tokens: dict[str, Any]
) -> None:
    response = httpx.post(
        f"{control.api_base_url}token/refresh/", json={"refresh": tokens["refresh"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "access_expires"}
    assert body["access_expires"] == 86400
    assert _claims(body["access"])["type"] == "access"
    institutions = httpx.get(
        f"{control.api_base_url}institutions/?country=GB",
        headers={"Authorization": f"Bearer {body['access']}"},
    )
    assert institutions.status_code == 200


def test_an_access_token_is_not_a_refresh_token(
    control: EmulatorControl, tokens: dict[str, Any]
) -> None:
    response = httpx.post(
        f"{control.api_base_url}token/refresh/", json={"refresh": tokens["access"]}
    )
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-jwt", "Token abc", "refresh"],
)
def test_missing_or_bad_bearer_is_invalid_token(
    control: EmulatorControl, tokens: dict[str, Any], authorization: str | None
) -> None:
    headers = {}
    if authorization == "refresh":
        headers["Authorization"] = f"Bearer {tokens['refresh']}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    response = httpx.get(f"{control.api_base_url}institutions/?country=GB", headers=headers)
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_token_lifetimes_can_be_shortened_to_get_expired_tokens(
    control: EmulatorControl,
) -> None:
    control.set_token_lifetimes(access_seconds=0, refresh_seconds=120)
    response = httpx.post(
        f"{control.api_base_url}token/new/",
        json={"secret_id": EMULATOR_SECRET_ID, "secret_key": EMULATOR_SECRET_KEY},
    )
    body = response.json()
    assert body["access_expires"] == 0
    assert body["refresh_expires"] == 120
    expired = httpx.get(
        f"{control.api_base_url}institutions/?country=GB",
        headers={"Authorization": f"Bearer {body['access']}"},
    )
    assert expired.status_code == 401
    assert expired.json() == INVALID_TOKEN

    control.set_token_lifetimes()
    refreshed = httpx.post(
        f"{control.api_base_url}token/refresh/", json={"refresh": body["refresh"]}
    )
    assert refreshed.json()["access_expires"] == 86400


def test_revoked_tokens_are_refused(control: EmulatorControl, tokens: dict[str, Any]) -> None:
    control.revoke_tokens()
    response = httpx.get(
        f"{control.api_base_url}institutions/?country=GB",
        headers={"Authorization": f"Bearer {tokens['access']}"},
    )
    assert response.status_code == 401
    refresh = httpx.post(
        f"{control.api_base_url}token/refresh/", json={"refresh": tokens["refresh"]}
    )
    assert refresh.status_code == 401
