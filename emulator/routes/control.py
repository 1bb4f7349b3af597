"""Test controls under /_emulator/ (not part of the real API)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from emulator import lifecycle
from emulator.auth import StoreDep
from emulator.errors import api_error
from emulator.state import (
    SCOPES,
    CallRecord,
    FaultMode,
    Faults,
    Limits,
    RequisitionStatus,
    Scope,
    TokenLifetimes,
)

router = APIRouter(prefix="/_emulator", tags=["emulator controls"])


class FaultsIn(BaseModel):
    """Only the fields sent are changed; `{"mode": null}` clears the mode."""

    mode: FaultMode | None = None
    latency_ms: int | None = Field(default=None, ge=0, le=60_000)
    account_ids: list[str] | None = None
    scopes: list[Scope] | None = None
    times: int | None = Field(default=None, ge=1)
    reset_seconds: int | None = Field(default=None, ge=0)
    consent_outcome: Literal["LN", "UA", "RJ"] | None = None


class StatusIn(BaseModel):
    status: RequisitionStatus


class QuotaResetIn(BaseModel):
    account_id: str | None = None
    scope: Scope | None = None


class LifetimesIn(BaseModel):
    access_seconds: int | None = None
    refresh_seconds: int | None = None


class LimitsIn(BaseModel):
    account_success_per_day: int | None = Field(default=None, ge=0)
    accounts_per_minute: int | None = Field(default=None, ge=0)
    institutions_per_minute: int | None = Field(default=None, ge=0)
    create_per_minute: int | None = Field(default=None, ge=0)
    other_per_minute: int | None = Field(default=None, ge=0)
    enforce_general: bool | None = None


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/reset")
def reset(store: StoreDep) -> dict[str, str]:
    store.reset()
    return {"status": "reset"}


@router.get("/faults")
def get_faults(store: StoreDep) -> Faults:
    with store.lock:
        return store.faults


@router.post("/faults")
def set_faults(store: StoreDep, body: FaultsIn) -> Faults:
    with store.lock:
        changes = {name: getattr(body, name) for name in body.model_fields_set}
        if changes.get("latency_ms") is None:
            changes.pop("latency_ms", None)
        if changes.get("consent_outcome") is None:
            changes.pop("consent_outcome", None)
        store.faults = Faults.model_validate({**store.faults.model_dump(), **changes})
        return store.faults


@router.delete("/faults")
def clear_faults(store: StoreDep) -> Faults:
    with store.lock:
        store.faults = Faults()
        return store.faults


@router.get("/calls")
def calls(
    store: StoreDep, account_id: str | None = None, requisition_id: str | None = None
) -> list[CallRecord]:
    return store.find_calls(account_id=account_id, requisition_id=requisition_id)


@router.delete("/calls")
def clear_calls(store: StoreDep) -> dict[str, str]:
    with store.lock:
        store.calls.clear()
    return {"status": "cleared"}


@router.post("/requisitions/{requisition_id}/status")
def force_status(store: StoreDep, requisition_id: str, body: StatusIn) -> dict[str, Any]:
    with store.mutate() as data:
        requisition = data.requisitions.get(requisition_id)
        if requisition is None:
            raise api_error(404, "Not found.", "Not found.")
        if body.status is RequisitionStatus.LINKED:
            lifecycle.link(data, requisition)
        else:
            requisition.status = body.status
        return requisition.to_api()


@router.get("/quota")
def quota(store: StoreDep) -> list[dict[str, Any]]:
    with store.lock:
        result = []
        for account_id in store.data.accounts:
            for scope in SCOPES:
                result.append(
                    {"account_id": account_id, "scope": scope}
                    | store.quota(account_id, scope).model_dump()
                )
        return result


@router.post("/quota/reset")
def reset_quota(store: StoreDep, body: QuotaResetIn | None = None) -> dict[str, str]:
    body = body or QuotaResetIn()
    store.reset_quota(body.account_id, body.scope)
    return {"status": "reset"}


@router.get("/token-lifetimes")
def get_lifetimes(store: StoreDep) -> TokenLifetimes:
    with store.lock:
        return store.lifetimes


@router.post("/token-lifetimes")
def set_lifetimes(store: StoreDep, body: LifetimesIn) -> TokenLifetimes:
    """Lifetimes of tokens issued from now on; null restores the real default. 0 or less
    issues tokens that are already expired."""
    with store.lock:
        defaults = TokenLifetimes()
        store.lifetimes = TokenLifetimes(
            access_seconds=(
                defaults.access_seconds if body.access_seconds is None else body.access_seconds
            ),
            refresh_seconds=(
                defaults.refresh_seconds if body.refresh_seconds is None else body.refresh_seconds
            ),
        )
        return store.lifetimes


@router.post("/tokens/revoke")
def revoke_tokens(store: StoreDep) -> dict[str, Any]:
    """Every token issued so far becomes invalid (as if the secret had been rotated)."""
    with store.lock:
        store.token_generation += 1
        return {"status": "revoked", "generation": store.token_generation}


@router.get("/limits")
def get_limits(store: StoreDep) -> Limits:
    with store.lock:
        return store.limits


@router.post("/limits")
def set_limits(store: StoreDep, body: LimitsIn) -> Limits:
    with store.lock:
        changes = {k: v for k, v in body.model_dump().items() if v is not None}
        store.limits = store.limits.model_copy(update=changes)
        return store.limits
