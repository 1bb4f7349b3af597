from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_value_postgres_refuses_is_a_422_not_a_500(client: TestClient) -> None:
    """A NUL character passes validation but Postgres cannot store or compare it as text."""
    response = client.get("/api/connections/callback", params={"ref": "\u0000"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request: PostgreSQL text fields")
