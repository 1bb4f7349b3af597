"""JWT access and refresh tokens, and the bearer check every API call but token/ makes."""

from __future__ import annotations

import os
import time
import uuid
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Header, Request

from emulator.errors import invalid_token
from emulator.state import Store

TokenType = Literal["access", "refresh"]

SIGNING_KEY = os.environ.get("EMULATOR_JWT_KEY", "gocardless-emulator-signing-key")
ALGORITHM = "HS256"


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def issue_token(store: Store, token_type: TokenType, secret_id: str) -> tuple[str, int]:
    """A signed token and its lifetime in seconds (the `*_expires` value of the answer)."""
    lifetimes = {
        "access": store.lifetimes.access_seconds,
        "refresh": store.lifetimes.refresh_seconds,
    }
    lifetime = lifetimes[token_type]
    now = int(time.time())
    claims = {
        "token_type": token_type,
        "type": token_type,
        "exp": now + lifetime,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "secret_id": secret_id,
        "gen": store.token_generation,
    }
    return jwt.encode(claims, SIGNING_KEY, algorithm=ALGORITHM), lifetime


def verify_token(store: Store, token: str, token_type: TokenType) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            SIGNING_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat"], "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise invalid_token() from exc
    if claims.get("type") != token_type or claims.get("gen") != store.token_generation:
        raise invalid_token()
    return claims


def require_access_token(
    store: Annotated[Store, Depends(get_store)],
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid_token()
    return verify_token(store, token.strip(), "access")


Authorized = Annotated[dict[str, Any], Depends(require_access_token)]
StoreDep = Annotated[Store, Depends(get_store)]
