from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.connections.bank import get_bank_client
from app.providers.gocardless import GoCardlessClient


@pytest.fixture
def api(client: TestClient, bank: GoCardlessClient) -> TestClient:
    """The API under test, its bank client talking to the emulator."""
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[get_bank_client] = lambda: bank
    return client
