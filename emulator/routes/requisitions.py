from __future__ import annotations

import os
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from emulator import lifecycle
from emulator.auth import Authorized, StoreDep
from emulator.data import get_institution
from emulator.errors import REQUIRED, api_error, field_errors
from emulator.pagination import paginate
from emulator.routes.agreements import new_agreement, unknown_institution, validate_agreement
from emulator.state import SCOPES, PersistedState, Requisition, RequisitionStatus, utcnow

router = APIRouter(prefix="/requisitions", tags=["requisitions"])

DEFAULT_DAYS = 90
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[A-Za-z]{2}$")


class RequisitionIn(BaseModel):
    redirect: str | None = None
    institution_id: str | None = None
    reference: str | None = None
    agreement: str | None = None
    user_language: str | None = None


def public_base_url(request: Request) -> str:
    configured = os.environ.get("EMULATOR_PUBLIC_URL")
    return (configured or str(request.base_url)).rstrip("/")


def requisition_or_404(data: PersistedState, requisition_id: str) -> Requisition:
    requisition = data.requisitions.get(requisition_id)
    if requisition is None:
        raise api_error(404, "Not found.", "Not found.")
    return requisition


@router.post("/", status_code=201)
def create_requisition(
    _: Authorized, store: StoreDep, request: Request, body: RequisitionIn | None = None
) -> dict[str, Any]:
    body = body or RequisitionIn()
    errors: dict[str, tuple[str, str]] = {}
    if not body.redirect:
        errors["redirect"] = REQUIRED
    elif not _URL.match(body.redirect):
        errors["redirect"] = ("Enter a valid URL.", "Enter a valid URL.")
    if not body.institution_id:
        errors["institution_id"] = REQUIRED
    institution = get_institution(body.institution_id) if body.institution_id else None
    if body.institution_id and institution is None:
        errors["institution_id"] = unknown_institution(body.institution_id)
    language = (body.user_language or "EN").upper()
    if not _LANGUAGE.match(language):
        errors["user_language"] = (
            "Provided user_language is invalid or not supported",
            f"'{body.user_language}' is an invalid or unsupported language",
        )

    with store.mutate() as data:
        if body.reference is not None and any(
            r.reference == body.reference for r in data.requisitions.values()
        ):
            errors["reference"] = (
                "Client reference must be unique",
                "Client reference must be unique",
            )
        agreement = None
        if body.agreement is not None:
            agreement = data.agreements.get(body.agreement)
            if agreement is None:
                errors["agreement"] = (
                    "Invalid EUA",
                    f"End User Agreement {body.agreement} does not exist",
                )
            elif institution is not None and agreement.institution_id != institution.id:
                errors["agreement"] = (
                    f"Incorrect Institution ID {institution.id}",
                    f"Provided Institution ID: '{institution.id}' for requisition does not match "
                    f"EUA institution ID '{agreement.institution_id}'. "
                    f"Please provide correct institution ID: '{agreement.institution_id}'",
                )
        if errors:
            raise field_errors(errors)
        assert institution is not None
        assert body.redirect is not None
        if agreement is None:
            days = min(DEFAULT_DAYS, institution.transaction_total_days)
            access = min(DEFAULT_DAYS, institution.max_access_valid_for_days)
            problems = validate_agreement(institution, days, access, list(SCOPES))
            if problems:
                raise field_errors(problems)
            agreement = new_agreement(data, institution, days, access, list(SCOPES))

        requisition_id = str(uuid.uuid4())
        requisition = Requisition(
            id=requisition_id,
            created=utcnow(),
            redirect=body.redirect,
            status=RequisitionStatus.CREATED,
            institution_id=institution.id,
            agreement=agreement.id,
            reference=body.reference if body.reference is not None else requisition_id,
            user_language=language,
            link=f"{public_base_url(request)}/start/{requisition_id}/{institution.id}",
        )
        data.requisitions[requisition.id] = requisition
        request.state.requisition_id = requisition.id
        return requisition.to_api()


@router.get("/")
def list_requisitions(
    _: Authorized, store: StoreDep, request: Request, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    with store.mutate() as data:
        items = sorted(data.requisitions.values(), key=lambda r: r.created, reverse=True)
        for requisition in items:
            lifecycle.refresh_status(data, requisition)
        return paginate(request, [r.to_api() for r in items], limit, offset)


@router.get("/{requisition_id}/")
def get_requisition(_: Authorized, store: StoreDep, requisition_id: str) -> dict[str, Any]:
    with store.lock:
        requisition = requisition_or_404(store.data, requisition_id)
        if lifecycle.refresh_status(store.data, requisition):
            store.save()
        return requisition.to_api()


@router.delete("/{requisition_id}/")
def delete_requisition(_: Authorized, store: StoreDep, requisition_id: str) -> dict[str, Any]:
    with store.mutate() as data:
        lifecycle.delete(data, requisition_or_404(data, requisition_id))
    return {
        "summary": "Requisition deleted",
        "detail": f"Requisition {requisition_id} deleted with all its End User Agreements",
    }
