"""Requisition lifecycle rules shared by the API, the consent pages and the controls."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from emulator.data import account_templates
from emulator.state import Account, PersistedState, Requisition, RequisitionStatus, utcnow

FINISHED = frozenset(
    {
        RequisitionStatus.UNDERGOING_AUTHENTICATION,
        RequisitionStatus.REJECTED,
        RequisitionStatus.LINKED,
        RequisitionStatus.EXPIRED,
    }
)


def account_id_for(requisition_id: str, iban: str) -> str:
    return str(uuid.uuid5(uuid.UUID(requisition_id), iban))


def link(data: PersistedState, requisition: Requisition, now: datetime | None = None) -> None:
    """Consent given: accept the agreement, create the accounts, status LN."""
    now = now or utcnow()
    agreement = data.agreements.get(requisition.agreement)
    if agreement is not None and agreement.accepted is None:
        agreement.accepted = now
    ids: list[str] = []
    for template in account_templates(requisition.institution_id):
        account_id = account_id_for(requisition.id, template.iban)
        if account_id not in data.accounts:
            data.accounts[account_id] = Account(
                id=account_id,
                created=now,
                requisition_id=requisition.id,
                institution_id=requisition.institution_id,
                iban=template.iban,
                currency=template.currency,
                owner_name=template.owner_name,
                name=template.name,
                product=template.product,
                cash_account_type=template.cash_account_type,
                resource_id=template.resource_id,
            )
        ids.append(account_id)
    requisition.accounts = ids
    requisition.status = RequisitionStatus.LINKED


def refresh_status(
    data: PersistedState, requisition: Requisition, now: datetime | None = None
) -> bool:
    """A linked requisition whose agreement ran out becomes EX. True when it changed."""
    if requisition.status is not RequisitionStatus.LINKED:
        return False
    agreement = data.agreements.get(requisition.agreement)
    if agreement is not None and agreement.is_expired(now or utcnow()):
        requisition.status = RequisitionStatus.EXPIRED
        return True
    return False


def delete(data: PersistedState, requisition: Requisition) -> None:
    """Remove a requisition with its agreement, its accounts and their quota windows."""
    data.requisitions.pop(requisition.id, None)
    if not any(r.agreement == requisition.agreement for r in data.requisitions.values()):
        data.agreements.pop(requisition.agreement, None)
    for account_id in requisition.accounts:
        data.accounts.pop(account_id, None)
        for key in [k for k in data.quota if k.startswith(account_id + ":")]:
            del data.quota[key]


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def redirect_back(
    requisition: Requisition, error: str | None = None, details: str | None = None
) -> str:
    params = {"ref": requisition.reference}
    if error is not None:
        params["error"] = error
        params["details"] = details or ""
    return with_query(requisition.redirect, **params)
