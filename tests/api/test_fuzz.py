"""Schemathesis over the OpenAPI schema: no input, valid or not, makes the API answer 5xx.

The API runs in-process on the session database and talks to a real emulator; requests are
made as a real user, so authenticated paths are exercised past the 401.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.config import get_settings
from app.db import session_scope
from app.main import create_app
from emulator.testing import api_base_url
from tests.conftest import auth_headers_for, make_user


@pytest.fixture(scope="module")
def _bank(emulator_url: str) -> Iterator[None]:
    saved = os.environ.get("GOCARDLESS_BASE_URL")
    os.environ["GOCARDLESS_BASE_URL"] = api_base_url(emulator_url)
    get_settings.cache_clear()
    yield
    if saved is None:
        os.environ.pop("GOCARDLESS_BASE_URL", None)
    else:
        os.environ["GOCARDLESS_BASE_URL"] = saved
    get_settings.cache_clear()


schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.fixture(scope="module")
def headers(_bank: None) -> dict[str, str]:
    with session_scope() as session:
        user = make_user(session)
    return auth_headers_for(user)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.usefixtures("committed_db", "_bank")
def test_no_server_errors(case: schemathesis.Case, headers: dict[str, str]) -> None:
    response = case.call(headers=headers)
    case.validate_response(response, checks=[checks.not_a_server_error])
