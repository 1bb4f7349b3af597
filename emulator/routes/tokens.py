from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
from emulator.auth import StoreDep, issue_token, verify_token
from emulator.errors import REQUIRED, api_error, field_errors

router = APIRouter(prefix="/token", tags=["token"])


class NewTokenIn(BaseModel):
    secret_id: str | None = None
    secret_key: str | None = None


class RefreshIn(BaseModel):
    refresh: str | None = None


@router.post("/new/")
def new_token(store: StoreDep, body: NewTokenIn | None = None) -> dict[str, Any]:
    body = body or NewTokenIn()
    missing = {name: REQUIRED for name in ("secret_id", "secret_key") if not getattr(body, name)}
    if missing:
        raise field_errors(missing)
    assert body.secret_id is not None
    assert body.secret_key is not None
    valid = hmac.compare_digest(body.secret_id, EMULATOR_SECRET_ID) & hmac.compare_digest(
        body.secret_key, EMULATOR_SECRET_KEY
    )
    if not valid:
        raise api_error(
            401, "Authentication failed", "No active account found with the given credentials"
        )
    with store.lock:
        access, access_expires = issue_token(store, "access", body.secret_id)
        refresh, refresh_expires = issue_token(store, "refresh", body.secret_id)
    return {
        "access": access,
        "access_expires": access_expires,
        "refresh": refresh,
        "refresh_expires": refresh_expires,
    }


@router.post("/refresh/")
def refresh_token(store: StoreDep, body: RefreshIn | None = None) -> dict[str, Any]:
    body = body or RefreshIn()
    if not body.refresh:
        raise field_errors({"refresh": REQUIRED})
    with store.lock:
        claims = verify_token(store, body.refresh, "refresh")
        access, access_expires = issue_token(store, "access", str(claims.get("secret_id", "")))
    return {"access": access, "access_expires": access_expires}
