from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from emulator import data as bank
from emulator import lifecycle
from emulator.auth import Authorized, StoreDep
from emulator.errors import APIError, api_error, field_errors
from emulator.state import (
    QUOTA_WINDOW_SECONDS,
    Account,
    Agreement,
    FaultMode,
    RequisitionStatus,
    Scope,
    Store,
    format_timestamp,
    utcnow,
)

router = APIRouter(prefix="/accounts", tags=["accounts"])

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def account_or_404(store: Store, account_id: str) -> Account:
    account = store.data.accounts.get(account_id)
    if account is None:
        raise api_error(
            404,
            f"Account ID {account_id} not found",
            "Please check whether you specified a valid Account ID",
        )
    return account


def quota_headers(limit: int, remaining: int, reset_seconds: int) -> dict[str, str]:
    return {
        "http_x_ratelimit_account_success_limit": str(limit),
        "http_x_ratelimit_account_success_remaining": str(remaining),
        "http_x_ratelimit_account_success_reset": str(reset_seconds),
    }


def agreement_expired(agreement: Agreement | None, agreement_id: str, now: datetime) -> APIError:
    days = agreement.access_valid_for_days if agreement else 90
    expires = (agreement.expires_at() if agreement else None) or now - timedelta(minutes=1)
    if expires > now:
        expires = now - timedelta(minutes=1)
    return api_error(
        401,
        f"End User Agreement (EUA) {agreement_id} has expired",
        f"EUA was valid for {days} days and it expired at {expires.isoformat(sep=' ')}. "
        "The end user must connect the account again with a new EUA.",
    )


def rate_limited(limit: int, reset_seconds: int) -> APIError:
    return api_error(
        429,
        "Rate limit exceeded",
        f"The rate limit for this resource is {limit}/day. "
        f"Please try again in {reset_seconds} seconds",
        headers=quota_headers(limit, 0, reset_seconds),
    )


def fault_error(store: Store, mode: FaultMode, account: Account, scope: Scope) -> APIError:
    now = utcnow()
    if mode is FaultMode.RATE_LIMIT:
        quota = store.quota(account.id, scope)
        reset = store.faults.reset_seconds
        if reset is None:
            reset = quota.reset_seconds if quota.used else QUOTA_WINDOW_SECONDS
        return rate_limited(quota.limit, reset)
    if mode is FaultMode.AGREEMENT_EXPIRED:
        requisition = store.data.requisitions[account.requisition_id]
        return agreement_expired(
            store.data.agreements.get(requisition.agreement), requisition.agreement, now
        )
    if mode is FaultMode.ACCESS_REVOKED:
        return api_error(
            401,
            f"Couldn't update account {scope}",
            "Access has expired or it has been revoked. To restore access reconnect the account.",
            type_="AccessExpiredError",
        )
    if mode is FaultMode.BANK_DOWN:
        return api_error(
            503,
            "Institution service unavailable",
            "Couldn't connect to the institution. Please try again later.",
            type_="ServiceError",
        )
    if mode is FaultMode.BANK_RATE_LIMIT:
        return api_error(
            429,
            f"Couldn't update account {scope}",
            "Daily request limit set by the Institution has been exceeded.",
            type_="RateLimitError",
        )
    if mode is FaultMode.ACCOUNT_PROCESSING:
        return api_error(
            409,
            "Account is being processed",
            f"Account {account.id} is being processed by the institution. "
            f"Poll accounts/{account.id}/ until its status is READY.",
            type_="AccountProcessing",
        )
    return api_error(
        409,
        "Account suspended",
        f"Account {account.id} has been suspended after 10 consecutive failed attempts "
        "to access the institution. Reconnect the account.",
        type_="AccountSuspended",
    )


def serve(
    store: Store,
    account_id: str,
    scope: Scope,
    produce: Callable[[Account, Agreement | None], dict[str, Any]],
) -> JSONResponse:
    """One account-data call: faults, agreement state, the daily quota, then the data."""
    with store.lock:
        account = account_or_404(store, account_id)
        mode = store.take_fault(account.id, scope)
        if mode is not None:
            raise fault_error(store, mode, account, scope)
        now = utcnow()
        requisition = store.data.requisitions[account.requisition_id]
        lifecycle.refresh_status(store.data, requisition, now)
        agreement = store.data.agreements.get(requisition.agreement)
        if requisition.status is RequisitionStatus.EXPIRED:
            raise agreement_expired(agreement, requisition.agreement, now)
        quota = store.quota(account.id, scope)
        if quota.remaining <= 0:
            raise rate_limited(quota.limit, quota.reset_seconds)
        body = produce(account, agreement)
        quota = store.record_success(account.id, scope)
        with store.mutate():
            account.last_accessed = now
    return JSONResponse(
        body, headers=quota_headers(quota.limit, quota.remaining, quota.reset_seconds)
    )


def account_status(store: Store, account: Account) -> str:
    faults = store.faults
    if faults.mode is not None and (faults.account_ids is None or account.id in faults.account_ids):
        if faults.mode is FaultMode.ACCOUNT_PROCESSING:
            return "PROCESSING"
        if faults.mode is FaultMode.ACCOUNT_SUSPENDED:
            return "SUSPENDED"
    requisition = store.data.requisitions[account.requisition_id]
    lifecycle.refresh_status(store.data, requisition)
    if requisition.status is RequisitionStatus.EXPIRED:
        return "EXPIRED"
    return "READY"


@router.get("/{account_id}/")
def get_account(_: Authorized, store: StoreDep, account_id: str) -> dict[str, Any]:
    with store.lock:
        account = account_or_404(store, account_id)
        return {
            "id": account.id,
            "created": format_timestamp(account.created),
            "last_accessed": (
                format_timestamp(account.last_accessed) if account.last_accessed else None
            ),
            "iban": account.iban,
            "institution_id": account.institution_id,
            "status": account_status(store, account),
            "owner_name": account.owner_name,
        }


@router.get("/{account_id}/details/")
def get_details(_: Authorized, store: StoreDep, account_id: str) -> JSONResponse:
    def produce(account: Account, _: Agreement | None) -> dict[str, Any]:
        return {
            "account": {
                "resourceId": account.resource_id,
                "iban": account.iban,
                "currency": account.currency,
                "ownerName": account.owner_name,
                "name": account.name,
                "product": account.product,
                "cashAccountType": account.cash_account_type,
            }
        }

    return serve(store, account_id, "details", produce)


@router.get("/{account_id}/balances/")
def get_balances(_: Authorized, store: StoreDep, account_id: str) -> JSONResponse:
    def produce(account: Account, _: Agreement | None) -> dict[str, Any]:
        return {"balances": bank.balances(account.iban, account.currency, utcnow().date())}

    return serve(store, account_id, "balances", produce)


def _parse_date(field: str, value: str | None) -> tuple[date | None, dict[str, tuple[str, str]]]:
    if value is None or value == "":
        return None, {}
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value), {}
    except ValueError:
        return None, {
            field: (
                "Invalid date format",
                f"'{value}' is not a valid date. Use the format YYYY-MM-DD.",
            )
        }


@router.get("/{account_id}/transactions/")
def get_transactions(
    _: Authorized,
    store: StoreDep,
    account_id: str,
    date_from: str | None = None,
    date_to: str | None = None,
) -> JSONResponse:
    with store.lock:
        account_or_404(store, account_id)
    start, errors = _parse_date("date_from", date_from)
    end, end_errors = _parse_date("date_to", date_to)
    errors |= end_errors
    if not errors and start is not None and end is not None and start > end:
        errors["date_from"] = (
            "Incorrect date range",
            f"Starting date '{start}' is greater than end date '{end}'. "
            "When specifying date range, starting date must precede the end date.",
        )
    if errors:
        raise field_errors(errors)

    def produce(account: Account, agreement: Agreement | None) -> dict[str, Any]:
        today = utcnow().date()
        first = start
        if agreement is not None:
            earliest = today - timedelta(days=agreement.max_historical_days)
            first = earliest if first is None else max(first, earliest)
        return {
            "transactions": {
                "booked": bank.booked_transactions(
                    account.iban, account.currency, today, first, end
                ),
                "pending": bank.pending_transactions(
                    account.iban, account.currency, today, first, end
                ),
            }
        }

    return serve(store, account_id, "transactions", produce)
