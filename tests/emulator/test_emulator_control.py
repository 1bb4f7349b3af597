from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
from emulator.testing import EmulatorControl, api_base_url, run_emulator
from tests.emulator.helpers import create_requisition, link_requisition


def test_call_log_separates_connections(
    api: httpx.Client, control: EmulatorControl, linked: dict[str, Any]
) -> None:
    other = link_requisition(api, control)
    for account_id in linked["accounts"]:
        api.get(f"accounts/{account_id}/balances/")
    api.get(f"accounts/{linked['accounts'][0]}/transactions/", params={"date_from": "2024-01-01"})

    mine = control.calls(requisition_id=linked["id"])
    account_calls = [c for c in mine if c["account_id"]]
    assert {c["account_id"] for c in account_calls} == set(linked["accounts"])
    assert all(c["requisition_id"] == linked["id"] for c in mine)
    assert control.calls(requisition_id=other["id"])
    assert not any(
        c["account_id"] in linked["accounts"] for c in control.calls(requisition_id=other["id"])
    )
    for account_id in other["accounts"]:
        assert control.calls(account_id=account_id) == []

    transactions = next(c for c in account_calls if c["path"].endswith("/transactions/"))
    assert set(transactions) == {
        "method",
        "path",
        "query",
        "status",
        "account_id",
        "requisition_id",
        "time",
    }
    assert transactions["method"] == "GET"
    assert transactions["status"] == 200
    assert transactions["query"] == "date_from=2024-01-01"


def test_call_log_records_the_link_flow_and_failures(
    api: httpx.Client, control: EmulatorControl
) -> None:
    requisition = create_requisition(api)
    httpx.get(requisition["link"])
    control.approve(requisition["link"])
    api.get(f"requisitions/{requisition['id']}/")
    calls = control.calls(requisition_id=requisition["id"])
    assert [(c["method"], c["status"]) for c in calls] == [
        ("POST", 201),
        ("GET", 200),
        ("POST", 303),
        ("GET", 200),
    ]
    api.get("accounts/00000000-0000-4000-8000-000000000000/details/")
    assert control.calls()[-1]["status"] == 404


def test_reset_clears_everything(
    api: httpx.Client, control: EmulatorControl, linked: dict[str, Any]
) -> None:
    account_id = linked["accounts"][0]
    for _ in range(4):
        api.get(f"accounts/{account_id}/details/")
    control.set_faults(mode="bank_down", latency_ms=10, consent_outcome="UA")
    control.set_limits(account_success_per_day=2)
    control.reset()
    assert control.calls() == []
    assert api.get(f"requisitions/{linked['id']}/").status_code == 404
    assert api.get("requisitions/").json()["count"] == 0
    assert api.get(f"accounts/{account_id}/").status_code == 404
    faults = control.http.get("/_emulator/faults").json()
    assert faults["mode"] is None
    assert faults["latency_ms"] == 0
    assert faults["consent_outcome"] == "LN"
    assert control.http.get("/_emulator/limits").json()["account_success_per_day"] == 4


def test_state_file_keeps_linked_connections_across_restarts(tmp_path: Path) -> None:
    state_file = tmp_path / "emulator-state.json"
    credentials = {"secret_id": EMULATOR_SECRET_ID, "secret_key": EMULATOR_SECRET_KEY}
    with run_emulator(state_file=state_file) as url, EmulatorControl(url) as control:
        access = httpx.post(f"{api_base_url(url)}token/new/", json=credentials).json()["access"]
        headers = {"Authorization": f"Bearer {access}"}
        with httpx.Client(base_url=api_base_url(url), headers=headers) as api:
            linked = link_requisition(api, control)
            api.get(f"accounts/{linked['accounts'][0]}/details/")
    assert state_file.exists()

    with (
        run_emulator(state_file=state_file) as url,
        httpx.Client(base_url=api_base_url(url), headers=headers) as api,
    ):
        again = api.get(f"requisitions/{linked['id']}/")
        assert again.status_code == 200
        assert again.json()["status"] == "LN"
        assert again.json()["accounts"] == linked["accounts"]
        details = api.get(f"accounts/{linked['accounts'][0]}/details/")
        assert details.headers["http_x_ratelimit_account_success_remaining"] == "2"
