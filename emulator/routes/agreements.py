from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from emulator.auth import Authorized, StoreDep
from emulator.data import Institution, get_institution
from emulator.errors import REQUIRED, APIError, api_error, field_errors
from emulator.pagination import paginate
from emulator.state import SCOPES, Agreement, PersistedState, utcnow

router = APIRouter(prefix="/agreements/enduser", tags=["agreements"])

DEFAULT_DAYS = 90


class AgreementIn(BaseModel):
    institution_id: str | None = None
    max_historical_days: int | None = None
    access_valid_for_days: int | None = None
    access_scope: list[str] | None = None


def unknown_institution(institution_id: str) -> tuple[str, str]:
    return (
        f"Unknown Institution ID {institution_id}",
        "Get Institution IDs from /institutions/?country={$COUNTRY_CODE}",
    )


def validate_agreement(
    institution: Institution,
    max_historical_days: int,
    access_valid_for_days: int,
    access_scope: list[str],
) -> dict[str, tuple[str, str]]:
    errors: dict[str, tuple[str, str]] = {}
    total = institution.transaction_total_days
    if not 0 < max_historical_days <= total:
        errors["max_historical_days"] = (
            "Incorrect max_historical_days",
            f"max_historical_days must be > 0 and <= {total} for {institution.id}",
        )
    max_access = institution.max_access_valid_for_days
    if not 0 < access_valid_for_days <= max_access:
        errors["access_valid_for_days"] = (
            "Incorrect access_valid_for_days",
            f"access_valid_for_days must be > 0 and <= {max_access}",
        )
    unknown = [scope for scope in access_scope if scope not in SCOPES]
    if unknown or not access_scope:
        errors["access_scope"] = (
            f"Unknown value {unknown!r} in access_scope" if unknown else "Empty access_scope",
            f"Choose one or several from {list(SCOPES)!r}",
        )
    return errors


def new_agreement(
    data: PersistedState,
    institution: Institution,
    max_historical_days: int,
    access_valid_for_days: int,
    access_scope: list[str],
) -> Agreement:
    agreement = Agreement(
        id=str(uuid.uuid4()),
        created=utcnow(),
        institution_id=institution.id,
        max_historical_days=max_historical_days,
        access_valid_for_days=access_valid_for_days,
        access_scope=access_scope,
    )
    data.agreements[agreement.id] = agreement
    return agreement


def agreement_or_404(data: PersistedState, agreement_id: str) -> Agreement:
    agreement = data.agreements.get(agreement_id)
    if agreement is None:
        raise api_error(404, "Not found.", "Not found.")
    return agreement


@router.post("/", status_code=201)
def create_agreement(
    _: Authorized, store: StoreDep, body: AgreementIn | None = None
) -> dict[str, Any]:
    body = body or AgreementIn()
    if not body.institution_id:
        raise field_errors({"institution_id": REQUIRED})
    institution = get_institution(body.institution_id)
    if institution is None:
        raise field_errors({"institution_id": unknown_institution(body.institution_id)})
    max_days = DEFAULT_DAYS if body.max_historical_days is None else body.max_historical_days
    access_days = DEFAULT_DAYS if body.access_valid_for_days is None else body.access_valid_for_days
    scope: list[str] = list(SCOPES) if body.access_scope is None else body.access_scope
    errors = validate_agreement(institution, max_days, access_days, scope)
    if errors:
        raise field_errors(errors)
    with store.mutate() as data:
        return new_agreement(data, institution, max_days, access_days, scope).to_api()


@router.get("/")
def list_agreements(
    _: Authorized, store: StoreDep, request: Request, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    with store.lock:
        items = sorted(store.data.agreements.values(), key=lambda a: a.created, reverse=True)
        return paginate(request, [a.to_api() for a in items], limit, offset)


@router.get("/{agreement_id}/")
def get_agreement(_: Authorized, store: StoreDep, agreement_id: str) -> dict[str, Any]:
    with store.lock:
        return agreement_or_404(store.data, agreement_id).to_api()


@router.delete("/{agreement_id}/")
def delete_agreement(_: Authorized, store: StoreDep, agreement_id: str) -> dict[str, Any]:
    with store.lock:
        agreement_or_404(store.data, agreement_id)
        if any(r.agreement == agreement_id for r in store.data.requisitions.values()):
            raise APIError(
                400,
                {
                    "summary": "Agreement is in use",
                    "detail": f"End User Agreement {agreement_id} is used by a requisition; "
                    "delete the requisition instead",
                    "status_code": 400,
                },
            )
        with store.mutate() as data:
            del data.agreements[agreement_id]
    return {
        "summary": "End User Agreement deleted",
        "detail": f"End User Agreement {agreement_id} deleted",
    }
