from __future__ import annotations

from typing import Any

import httpx

from emulator.testing import EmulatorControl

SANDBOX = "SANDBOXFINANCE_SFIN0000"
SANDBOX_IBANS = ("GL3343697694912188", "GL0865354374424724")
REDIRECT = "http://localhost:3000/connections/callback"


def create_requisition(
    api: httpx.Client,
    institution_id: str = SANDBOX,
    reference: str | None = None,
    redirect: str = REDIRECT,
    **extra: Any,
) -> dict[str, Any]:
    payload = {"redirect": redirect, "institution_id": institution_id, **extra}
    if reference is not None:
        payload["reference"] = reference
    response = api.post("requisitions/", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def link_requisition(
    api: httpx.Client, control: EmulatorControl, institution_id: str = SANDBOX
) -> dict[str, Any]:
    """A requisition whose consent was approved (status LN, accounts created)."""
    requisition = create_requisition(api, institution_id)
    control.approve(requisition["link"])
    linked: dict[str, Any] = api.get(f"requisitions/{requisition['id']}/").json()
    assert linked["status"] == "LN"
    return linked
