from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx

from emulator.testing import EmulatorControl
from tests.emulator.helpers import REDIRECT, SANDBOX, SANDBOX_IBANS, create_requisition

REQUISITION_KEYS = {
    "id",
    "created",
    "redirect",
    "status",
    "institution_id",
    "agreement",
    "reference",
    "accounts",
    "user_language",
    "link",
}


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query, keep_blank_values=True)


def test_create_requisition_shape(api: httpx.Client, control: EmulatorControl) -> None:
    body = create_requisition(api, reference="user-1-conn-1", user_language="en")
    assert set(body) >= REQUISITION_KEYS
    assert body["status"] == "CR"
    assert body["accounts"] == []
    assert body["reference"] == "user-1-conn-1"
    assert body["user_language"] == "EN"
    assert body["redirect"] == REDIRECT
    assert body["institution_id"] == SANDBOX
    assert body["link"] == f"{control.base_url}/start/{body['id']}/{SANDBOX}"
    uuid.UUID(body["id"])
    agreement = api.get(f"agreements/enduser/{body['agreement']}/").json()
    assert agreement["institution_id"] == SANDBOX
    assert api.get(f"requisitions/{body['id']}/").json() == body


def test_reference_must_be_unique(api: httpx.Client) -> None:
    create_requisition(api, reference="same-ref")
    response = api.post(
        "requisitions/",
        json={"redirect": REDIRECT, "institution_id": SANDBOX, "reference": "same-ref"},
    )
    assert response.status_code == 400
    assert response.json()["reference"]["summary"] == "Client reference must be unique"


def test_requisition_validation(api: httpx.Client) -> None:
    missing = api.post("requisitions/", json={})
    assert missing.status_code == 400
    assert set(missing.json()) >= {"redirect", "institution_id", "status_code"}

    bad_redirect = api.post(
        "requisitions/", json={"redirect": "not a url", "institution_id": SANDBOX}
    )
    assert bad_redirect.json()["redirect"]["summary"] == "Enter a valid URL."

    other_bank = api.post("agreements/enduser/", json={"institution_id": "MONZO_MONZGB2L"}).json()
    mismatch = api.post(
        "requisitions/",
        json={"redirect": REDIRECT, "institution_id": SANDBOX, "agreement": other_bank["id"]},
    )
    assert mismatch.status_code == 400
    assert "agreement" in mismatch.json()


def test_list_is_paginated(api: httpx.Client) -> None:
    ids = [create_requisition(api, reference=f"ref-{n}")["id"] for n in range(3)]
    page = api.get("requisitions/", params={"limit": 2}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["previous"] is None
    assert page["next"] is not None
    second = httpx.get(page["next"], headers=api.headers).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert second["previous"] is not None
    listed = {r["id"] for r in page["results"] + second["results"]}
    assert listed == set(ids)


def test_delete_requisition(api: httpx.Client, linked: dict[str, object]) -> None:
    response = api.delete(f"requisitions/{linked['id']}/")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == "Requisition deleted"
    assert str(linked["id"]) in body["detail"]
    assert api.get(f"requisitions/{linked['id']}/").status_code == 404
    assert api.get(f"agreements/enduser/{linked['agreement']}/").status_code == 404
    accounts = linked["accounts"]
    assert isinstance(accounts, list)
    assert api.get(f"accounts/{accounts[0]}/").status_code == 404


def test_consent_page_shows_bank_accounts_and_buttons(
    api: httpx.Client, control: EmulatorControl
) -> None:
    requisition = create_requisition(api)
    page = httpx.get(requisition["link"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Sandbox Finance" in page.text
    assert 'id="approve"' in page.text
    assert 'id="reject"' in page.text
    for iban in SANDBOX_IBANS:
        assert iban[-4:] in page.text
    assert api.get(f"requisitions/{requisition['id']}/").json()["status"] == "GC"


def test_approve_links_accounts_and_redirects_with_ref(
    api: httpx.Client, control: EmulatorControl
) -> None:
    requisition = create_requisition(api, reference="conn-42")
    location = control.approve(requisition["link"])
    assert location.startswith(REDIRECT + "?")
    assert _query(location) == {"ref": ["conn-42"]}

    linked = api.get(f"requisitions/{requisition['id']}/").json()
    assert linked["status"] == "LN"
    expected = [str(uuid.uuid5(uuid.UUID(requisition["id"]), iban)) for iban in SANDBOX_IBANS]
    assert linked["accounts"] == expected


def test_each_requisition_gets_its_own_account_ids(
    api: httpx.Client, control: EmulatorControl
) -> None:
    first, second = create_requisition(api), create_requisition(api)
    control.approve(first["link"])
    control.approve(second["link"])
    first_ids = api.get(f"requisitions/{first['id']}/").json()["accounts"]
    second_ids = api.get(f"requisitions/{second['id']}/").json()["accounts"]
    assert len(first_ids) == len(second_ids) == 2
    assert not set(first_ids) & set(second_ids)


def test_browser_form_post_follows_to_the_redirect(api: httpx.Client) -> None:
    requisition = create_requisition(api, reference="form-ref")
    response = httpx.post(requisition["link"] + "/approve")
    assert response.status_code == 303
    assert _query(response.headers["location"])["ref"] == ["form-ref"]


def test_reject_redirects_with_the_documented_error(
    api: httpx.Client, control: EmulatorControl
) -> None:
    requisition = create_requisition(api, reference="conn-7")
    location = control.reject(requisition["link"])
    assert location == (
        f"{REDIRECT}?ref=conn-7&error=UserCancelledSession&details=User+cancelled+the+session."
    )
    assert api.get(f"requisitions/{requisition['id']}/").json()["status"] == "RJ"


def test_redirect_keeps_its_own_query(api: httpx.Client, control: EmulatorControl) -> None:
    requisition = create_requisition(api, reference="r", redirect="http://app.test/cb?state=abc")
    assert control.approve(requisition["link"]) == "http://app.test/cb?state=abc&ref=r"


def test_reusing_a_finished_link_is_refused(api: httpx.Client, control: EmulatorControl) -> None:
    requisition = create_requisition(api, reference="once")
    control.approve(requisition["link"])
    again = httpx.get(requisition["link"])
    assert again.status_code == 303
    query = _query(again.headers["location"])
    assert query["ref"] == ["once"]
    assert query["error"] == ["RequisitionLinkReused"]
    pressed = control.reject(requisition["link"])
    assert _query(pressed)["error"] == ["RequisitionLinkReused"]
    assert api.get(f"requisitions/{requisition['id']}/").json()["status"] == "LN"


def test_unknown_link_is_404(api: httpx.Client, control: EmulatorControl) -> None:
    requisition = create_requisition(api)
    assert httpx.get(f"{control.base_url}/start/{uuid.uuid4()}/{SANDBOX}").status_code == 404
    wrong_bank = f"{control.base_url}/start/{requisition['id']}/MONZO_MONZGB2L"
    assert httpx.get(wrong_bank).status_code == 404


def test_consent_outcome_ua_leaves_the_requisition_undergoing_authentication(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.set_faults(consent_outcome="UA")
    requisition = create_requisition(api, reference="slow-bank")
    location = control.approve(requisition["link"])
    assert _query(location) == {"ref": ["slow-bank"]}
    still = api.get(f"requisitions/{requisition['id']}/").json()
    assert still["status"] == "UA"
    assert still["accounts"] == []

    forced = control.force_status(requisition["id"], "LN")
    assert forced["status"] == "LN"
    assert len(api.get(f"requisitions/{requisition['id']}/").json()["accounts"]) == 2


def test_status_can_be_forced(api: httpx.Client, control: EmulatorControl) -> None:
    requisition = create_requisition(api)
    control.force_status(requisition["id"], "UA")
    assert api.get(f"requisitions/{requisition['id']}/").json()["status"] == "UA"
    refused = control.http.post(
        f"/_emulator/requisitions/{requisition['id']}/status", json={"status": "ZZ"}
    )
    assert refused.status_code == 422
    unknown = control.http.post(
        f"/_emulator/requisitions/{uuid.uuid4()}/status", json={"status": "LN"}
    )
    assert unknown.status_code == 404


def test_non_sandbox_banks_link_generated_accounts(
    api: httpx.Client, control: EmulatorControl
) -> None:
    requisition = create_requisition(api, "MONZO_MONZGB2L")
    control.approve(requisition["link"])
    linked = api.get(f"requisitions/{requisition['id']}/").json()
    assert len(linked["accounts"]) == 2
    account = api.get(f"accounts/{linked['accounts'][0]}/").json()
    assert account["iban"].startswith("GB")
    assert account["institution_id"] == "MONZO_MONZGB2L"
    details = api.get(f"accounts/{linked['accounts'][0]}/details/").json()
    assert details["account"]["currency"] == "GBP"
