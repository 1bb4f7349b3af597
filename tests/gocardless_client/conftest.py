from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
from app.providers.gocardless import GoCardlessClient, Requisition
from emulator.testing import EmulatorControl

SANDBOX = "SANDBOXFINANCE_SFIN0000"
REDIRECT = "http://localhost:3000/connections/callback"


@pytest.fixture
def control(emulator: EmulatorControl) -> EmulatorControl:
    """The emulator's controls, after a reset (every test starts from empty state)."""
    return emulator


def make_client(control: EmulatorControl, **kwargs: object) -> GoCardlessClient:
    return GoCardlessClient(
        control.api_base_url,
        EMULATOR_SECRET_ID,
        EMULATOR_SECRET_KEY,
        5.0,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(control: EmulatorControl) -> Iterator[GoCardlessClient]:
    with make_client(control) as client:
        yield client


def link(
    client: GoCardlessClient, control: EmulatorControl, institution_id: str = SANDBOX
) -> Requisition:
    requisition = client.create_requisition(REDIRECT, institution_id, reference=str(uuid.uuid4()))
    control.approve(requisition.link)
    return client.get_requisition(requisition.id)


@pytest.fixture
def linked(client: GoCardlessClient, control: EmulatorControl) -> Requisition:
    return link(client, control)


@pytest.fixture
def account_id(linked: Requisition) -> str:
    return linked.accounts[0]
