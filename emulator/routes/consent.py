"""The bank-consent page the requisition `link` points to (stands in for GoCardless + the bank)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from emulator import lifecycle
from emulator.auth import StoreDep
from emulator.data import account_templates, get_institution
from emulator.state import Requisition, RequisitionStatus, Store

router = APIRouter(tags=["consent"])

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
main { max-width: 32rem; margin: 4rem auto; background: #fff; padding: 2rem;
       border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
h1 { font-size: 1.4rem; margin-top: 0; }
ul { padding-left: 1.2rem; }
.actions { display: flex; gap: 1rem; margin-top: 2rem; }
.actions form { margin: 0; }
button { font-size: 1rem; padding: .6rem 1.4rem; border-radius: 8px; border: 1px solid #888;
         cursor: pointer; }
#approve { background: #1d6f42; color: #fff; border-color: #1d6f42; }
#reject { background: #fff; color: #333; }
.muted { color: #666; font-size: .9rem; }
"""


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code)


def _invalid_link() -> HTMLResponse:
    return _page(
        "Invalid link",
        "<h1>This link is not valid</h1>"
        "<p>The bank-link session does not exist or was deleted.</p>",
        status_code=404,
    )


def _find(store: Store, requisition_id: str, institution_id: str) -> Requisition | None:
    requisition = store.data.requisitions.get(requisition_id)
    if requisition is None or requisition.institution_id != institution_id:
        return None
    return requisition


def _reused(requisition: Requisition) -> RedirectResponse:
    return RedirectResponse(
        lifecycle.redirect_back(
            requisition, "RequisitionLinkReused", "This link has already been used."
        ),
        status_code=303,
    )


@router.get("/start/{requisition_id}/{institution_id}", response_class=HTMLResponse)
def consent_page(
    store: StoreDep, request: Request, requisition_id: str, institution_id: str
) -> Response:
    request.state.requisition_id = requisition_id
    with store.lock:
        requisition = _find(store, requisition_id, institution_id)
        if requisition is None:
            return _invalid_link()
        if requisition.status in lifecycle.FINISHED:
            return _reused(requisition)
        if requisition.status is RequisitionStatus.CREATED:
            with store.mutate():
                requisition.status = RequisitionStatus.GIVING_CONSENT
        agreement = store.data.agreements.get(requisition.agreement)
    institution = get_institution(institution_id)
    assert institution is not None
    accounts = "".join(
        f"<li><strong>{escape(t.name)}</strong> · {escape(t.owner_name)} · "
        f"{escape(t.iban[:4])} •••• {escape(t.iban[-4:])} ({escape(t.currency)})</li>"
        for t in account_templates(institution_id)
    )
    scope = ", ".join(agreement.access_scope) if agreement else "balances, details, transactions"
    history = agreement.max_historical_days if agreement else 90
    access = agreement.access_valid_for_days if agreement else 90
    action = f"/start/{escape(requisition_id)}/{escape(institution_id)}"
    body = f"""
<p class="muted">GoCardless Bank Account Data · emulator</p>
<h1>Connect {escape(institution.name)}</h1>
<p>The application asks to read these accounts at <strong>{escape(institution.name)}</strong>:</p>
<ul id="accounts">{accounts}</ul>
<p class="muted">Access: {escape(scope)}; {history} days of history; valid for {access} days.</p>
<div class="actions">
  <form method="post" action="{action}/approve">
    <button id="approve" type="submit">Approve</button>
  </form>
  <form method="post" action="{action}/reject">
    <button id="reject" type="submit">Reject</button>
  </form>
</div>
"""
    return _page(f"Connect {institution.name}", body)


@router.post("/start/{requisition_id}/{institution_id}/approve")
def approve(
    store: StoreDep, request: Request, requisition_id: str, institution_id: str
) -> Response:
    request.state.requisition_id = requisition_id
    with store.lock:
        requisition = _find(store, requisition_id, institution_id)
        if requisition is None:
            return _invalid_link()
        if requisition.status in lifecycle.FINISHED:
            return _reused(requisition)
        outcome = store.faults.consent_outcome
        with store.mutate() as data:
            if outcome == "UA":
                requisition.status = RequisitionStatus.UNDERGOING_AUTHENTICATION
                location = lifecycle.redirect_back(requisition)
            elif outcome == "RJ":
                requisition.status = RequisitionStatus.REJECTED
                location = lifecycle.redirect_back(
                    requisition, "UserSessionRejected", "The bank rejected the session."
                )
            else:
                lifecycle.link(data, requisition)
                location = lifecycle.redirect_back(requisition)
    return RedirectResponse(location, status_code=303)


@router.post("/start/{requisition_id}/{institution_id}/reject")
def reject(store: StoreDep, request: Request, requisition_id: str, institution_id: str) -> Response:
    request.state.requisition_id = requisition_id
    with store.lock:
        requisition = _find(store, requisition_id, institution_id)
        if requisition is None:
            return _invalid_link()
        if requisition.status in lifecycle.FINISHED:
            return _reused(requisition)
        with store.mutate():
            requisition.status = RequisitionStatus.REJECTED
        location = lifecycle.redirect_back(
            requisition, "UserCancelledSession", "User cancelled the session."
        )
    return RedirectResponse(location, status_code=303)
