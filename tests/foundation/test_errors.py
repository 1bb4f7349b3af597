from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.db import get_session


def test_a_value_postgres_refuses_is_a_422_not_a_500(client: TestClient) -> None:
    """A NUL character passes validation but Postgres cannot store or compare it as text."""
    response = client.get("/api/connections/callback", params={"ref": "\u0000"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request: PostgreSQL text fields")


def test_database_unavailable_is_a_503_with_retry_after(client: TestClient) -> None:
    """A database that refuses connections (restarting, out of slots) answers 503, not 500."""
    app = client.app
    assert isinstance(app, FastAPI)
    broken = create_engine(
        "postgresql+psycopg://bankjobs:bankjobs@127.0.0.1:1/nowhere",
        connect_args={"connect_timeout": 1},
    )

    def _session() -> Iterator[Session]:
        with Session(bind=broken) as session:
            yield session

    app.dependency_overrides[get_session] = _session
    response = client.post("/api/auth/login", json={"email": "a@example.com", "password": "x"})
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database is temporarily unavailable; try again in a moment"
    }
    assert response.headers["retry-after"] == "2"
