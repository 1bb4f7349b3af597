from __future__ import annotations

import httpx
import pytest

from emulator.testing import EmulatorControl
from tests.emulator.helpers import SANDBOX, create_requisition


def test_create_agreement_shape(api: httpx.Client) -> None:
    payload = {
        "institution_id": SANDBOX,
        "max_historical_days": 90,
        "access_valid_for_days": 30,
        "access_scope": ["balances", "details", "transactions"],
    }
    response = api.post("agreements/enduser/", json=payload)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "created",
        "institution_id",
        "max_historical_days",
        "access_valid_for_days",
        "access_scope",
        "accepted",
    }
    assert body["accepted"] is None
    assert body["max_historical_days"] == 90
    assert body["access_valid_for_days"] == 30
    assert body["access_scope"] == ["balances", "details", "transactions"]
    assert api.get(f"agreements/enduser/{body['id']}/").json() == body


def test_defaults_are_90_days_and_all_scopes(api: httpx.Client) -> None:
    body = api.post("agreements/enduser/", json={"institution_id": "MONZO_MONZGB2L"}).json()
    assert body["max_historical_days"] == 90
    assert body["access_valid_for_days"] == 90
    assert sorted(body["access_scope"]) == ["balances", "details", "transactions"]


@pytest.mark.parametrize("days", [0, -1, 91])
def test_max_historical_days_is_checked_against_the_institution(
    api: httpx.Client, days: int
) -> None:
    response = api.post(
        "agreements/enduser/", json={"institution_id": SANDBOX, "max_historical_days": days}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 400
    assert body["max_historical_days"]["summary"] == "Incorrect max_historical_days"
    assert "<= 90" in body["max_historical_days"]["detail"]


def test_larger_history_is_fine_where_the_bank_keeps_it(api: httpx.Client) -> None:
    response = api.post(
        "agreements/enduser/", json={"institution_id": "MONZO_MONZGB2L", "max_historical_days": 730}
    )
    assert response.status_code == 201


def test_other_agreement_validation(api: httpx.Client) -> None:
    unknown = api.post("agreements/enduser/", json={"institution_id": "NOPE"})
    assert unknown.status_code == 400
    assert unknown.json()["institution_id"]["summary"] == "Unknown Institution ID NOPE"

    too_long = api.post(
        "agreements/enduser/", json={"institution_id": SANDBOX, "access_valid_for_days": 365}
    )
    assert too_long.status_code == 400
    assert "access_valid_for_days" in too_long.json()

    bad_scope = api.post(
        "agreements/enduser/", json={"institution_id": SANDBOX, "access_scope": ["payments"]}
    )
    assert bad_scope.status_code == 400
    assert "access_scope" in bad_scope.json()

    not_a_number = api.post(
        "agreements/enduser/", json={"institution_id": SANDBOX, "max_historical_days": "many"}
    )
    assert not_a_number.status_code == 400
    assert "max_historical_days" in not_a_number.json()

    missing = api.post("agreements/enduser/", json={})
    assert missing.status_code == 400
    assert missing.json()["institution_id"]["summary"] == "This field is required."


def test_unknown_agreement_is_404(api: httpx.Client) -> None:
    response = api.get("agreements/enduser/3fa85f64-5717-4562-b3fc-2c963f66afa6/")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_agreement_is_accepted_on_consent(api: httpx.Client, control: EmulatorControl) -> None:
    agreement = api.post("agreements/enduser/", json={"institution_id": SANDBOX}).json()
    requisition = create_requisition(api, agreement=agreement["id"])
    assert requisition["agreement"] == agreement["id"]
    control.approve(requisition["link"])
    accepted = api.get(f"agreements/enduser/{agreement['id']}/").json()["accepted"]
    assert accepted is not None
    assert accepted.endswith("Z")
