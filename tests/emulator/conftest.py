from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
from emulator.testing import EmulatorControl, api_base_url
from tests.emulator.helpers import link_requisition


@pytest.fixture
def control(emulator: EmulatorControl) -> EmulatorControl:
    """The emulator's controls, after a reset (every test starts from empty state)."""
    return emulator


@pytest.fixture
def tokens(control: EmulatorControl) -> dict[str, Any]:
    response = control.http.post(
        f"{control.api_base_url}token/new/",
        json={"secret_id": EMULATOR_SECRET_ID, "secret_key": EMULATOR_SECRET_KEY},
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def api(control: EmulatorControl, tokens: dict[str, Any]) -> Iterator[httpx.Client]:
    """An httpx client on /api/v2/ with a valid bearer token."""
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    with httpx.Client(base_url=api_base_url(control.base_url), headers=headers) as client:
        yield client


@pytest.fixture
def linked(api: httpx.Client, control: EmulatorControl) -> dict[str, Any]:
    return link_requisition(api, control)


@pytest.fixture
def account_id(linked: dict[str, Any]) -> str:
    first: str = linked["accounts"][0]
    return first
