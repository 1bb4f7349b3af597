from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.security import ALGORITHM, create_access_token
from app.config import get_settings
from app.db import utcnow
from app.users.models import User
from app.users.repository import get_user_by_email
from tests.conftest import PASSWORD


def test_login_returns_a_bearer_token_that_opens_me(client: TestClient, user: User) -> None:
    response = client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "id": str(user.id),
        "email": user.email,
        "created_at": me.json()["created_at"],
    }


def test_login_ignores_email_case(client: TestClient, user: User) -> None:
    response = client.post(
        "/api/auth/login", json={"email": user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "USER", "password": "wrong"},
    ],
)
def test_wrong_credentials_are_401(
    client: TestClient, user: User, credentials: dict[str, str]
) -> None:
    if credentials["email"] == "USER":
        credentials = {"email": user.email, "password": "wrong-password"}
    response = client.post("/api/auth/login", json=credentials)
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password"}


@pytest.mark.parametrize(
    "body", [{}, {"email": "not-an-email", "password": "x"}, {"email": "a@b.co", "password": ""}]
)
def test_malformed_login_is_422_with_a_message(client: TestClient, body: dict[str, str]) -> None:
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request:")


def test_missing_token_is_401(client: TestClient) -> None:
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert "Not authenticated" in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_malformed_token_is_401(client: TestClient, token: str) -> None:
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["detail"] in {
        "Invalid authentication token",
        "Not authenticated: send 'Authorization: Bearer <token>'",
    }


def _token(user_id: uuid.UUID, *, expires_in: timedelta, key: str | None = None) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "iat": now, "exp": now + expires_in, "type": "access"}
    return jwt.encode(claims, key or get_settings().secret_key, algorithm=ALGORITHM)


def test_expired_token_is_401_saying_so(client: TestClient, user: User) -> None:
    token = _token(user.id, expires_in=timedelta(seconds=-1))
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Token has expired; log in again"}


def test_token_signed_with_another_key_is_401(client: TestClient, user: User) -> None:
    token = _token(user.id, expires_in=timedelta(minutes=5), key="another-key-" * 4)
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid authentication token"}


def test_token_of_a_deleted_user_is_401(client: TestClient, db_session: Session) -> None:
    token = create_access_token(get_settings(), uuid.uuid4())
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "no longer exists" in response.json()["detail"]


def test_password_is_stored_as_argon2(db_session: Session, user: User) -> None:
    stored = get_user_by_email(db_session, user.email)
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
