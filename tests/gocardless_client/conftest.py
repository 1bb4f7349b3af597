from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
from app.providers.gocardless import GoCardlessClient, Requisition
from emulator.testing import EmulatorControl, run_emulator

SANDBOX = "SANDBOXFINANCE_SFIN0000"
REDIRECT = "http://localhost:3000/connections/callback"


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    with run_emulator() as url:
        yield url


@pytest.fixture(scope="session")
def _session_control(emulator_url: str) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator_url) as control:
        yield control


@pytest.fixture
def control(_session_control: EmulatorControl) -> EmulatorControl:
    _session_control.reset()
    return _session_control


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
