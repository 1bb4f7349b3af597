from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, status
from fastapi.responses import RedirectResponse

from app.auth.dependencies import CurrentUser
from app.config import get_settings
from app.connections import service
from app.connections.bank import BankClient
from app.connections.schemas import (
    ConnectionLinkOut,
    ConnectionListOut,
    CreateConnectionIn,
)
from app.db import DbSession

router = APIRouter(prefix="/api/connections", tags=["connections"])


@router.get("", response_model=ConnectionListOut)
def list_connections(session: DbSession, user: CurrentUser) -> ConnectionListOut:
    return ConnectionListOut(connections=service.list_connections(session, user.id))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConnectionLinkOut)
def create_connection(
    body: CreateConnectionIn, session: DbSession, user: CurrentUser, client: BankClient
) -> ConnectionLinkOut:
    """Start linking a bank: returns the pending connection and the bank's consent link."""
    connection, link = service.create_connection(
        session, client, get_settings(), user.id, body.institution_id
    )
    return ConnectionLinkOut(connection=service.get_connection_out(session, connection), link=link)


@router.get(
    "/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={400: {"description": "Unknown or already used reference"}},
)
def bank_callback(
    session: DbSession,
    client: BankClient,
    ref: Annotated[str, Query(min_length=1, max_length=200)],
    error: Annotated[str | None, Query(max_length=200)] = None,
    details: Annotated[str | None, Query(max_length=1000)] = None,
) -> RedirectResponse:
    """Where the bank sends the browser back; no login needed, the single-use ref is the key.

    Redirects to the frontend's accounts page with the outcome in the query.
    """
    result = service.handle_callback(session, client, ref, error, details)
    query = {"connection": str(result.connection.id), "outcome": result.outcome.value}
    if result.reason:
        query["reason"] = result.reason
    url = f"{get_settings().frontend_url.rstrip('/')}/accounts?{urlencode(query)}"
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/{connection_id}/reconnect", response_model=ConnectionLinkOut)
def reconnect(
    connection_id: uuid.UUID, session: DbSession, user: CurrentUser, client: BankClient
) -> ConnectionLinkOut:
    """A fresh bank link for an expired or failed connection (same connection, new consent)."""
    connection, link = service.reconnect(session, client, get_settings(), user.id, connection_id)
    return ConnectionLinkOut(connection=service.get_connection_out(session, connection), link=link)
