"""GoCardless failures as typed exceptions, each with words a person can act on.

Every exception is a `GoCardlessError` with:
- `user_message`: what to show the user (or the operator, for `AuthenticationFailed`);
- `retryable`: True when trying the same call again soon (within a job's backoff) can work;
- `status_code`, `summary`, `detail`, `error_type`: what GoCardless answered, when it answered.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx

RateLimitSource = Literal["account", "institution", "general"]

# A rate limit that lifts sooner than this is worth retrying inside the same job.
SHORT_WAIT_SECONDS = 60.0
_TRY_AGAIN_IN = re.compile(r"try again in (\d+) seconds?", re.IGNORECASE)


@dataclass(frozen=True)
class FieldError:
    summary: str
    detail: str


class GoCardlessError(Exception):
    default_user_message = "The bank connection failed; try again later"
    default_retryable = False

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        summary: str | None = None,
        detail: str | None = None,
        error_type: str | None = None,
        body: Any = None,
        user_message: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.status_code = status_code
        self.summary = summary
        self.detail = detail
        self.error_type = error_type
        self.body = body
        self.user_message = user_message or self.default_user_message
        self.retryable = self.default_retryable if retryable is None else retryable
        super().__init__(message or _describe(status_code, summary, detail) or self.user_message)


class AuthenticationFailed(GoCardlessError):
    """GoCardless refused the secret id/key (or kept refusing fresh tokens)."""

    default_user_message = (
        "The bank-data service refused our credentials; "
        "check GOCARDLESS_SECRET_ID and GOCARDLESS_SECRET_KEY"
    )


class NotFound(GoCardlessError):
    default_user_message = "The bank connection no longer exists at the bank-data service"


class InvalidRequest(GoCardlessError):
    """A 400 other than an expired agreement; `field_errors` holds the per-field reasons."""

    default_user_message = "The bank-data service rejected the request"

    def __init__(
        self,
        message: str | None = None,
        *,
        field_errors: dict[str, FieldError] | None = None,
        **kwargs: Any,
    ) -> None:
        self.field_errors = dict(field_errors or {})
        if "user_message" not in kwargs and self.field_errors:
            field, error = next(iter(self.field_errors.items()))
            kwargs["user_message"] = f"{self.default_user_message}: {field}: {error.detail}"
        super().__init__(message, **kwargs)


class RateLimited(GoCardlessError):
    """A 429. `retry_at` is the first moment the call may succeed; `source` says whose limit:
    "account" (4 calls per account and scope per day), "institution" (the bank's own daily
    limit) or "general" (per-minute API limits)."""

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_at: datetime,
        source: RateLimitSource,
        scope: str | None = None,
        now: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        self.retry_at = retry_at
        self.source = source
        self.scope = scope
        now = now or datetime.now(UTC)
        kwargs.setdefault("user_message", rate_limit_message(retry_at, now))
        kwargs.setdefault("retryable", (retry_at - now).total_seconds() <= SHORT_WAIT_SECONDS)
        super().__init__(message, **kwargs)


class ReauthorisationRequired(GoCardlessError):
    """The user must link the bank again (a new agreement and requisition)."""

    default_user_message = "Bank access expired; reconnect the bank"


class AgreementExpired(ReauthorisationRequired):
    pass


class AccessRevoked(ReauthorisationRequired):
    pass


class AccountSuspended(ReauthorisationRequired):
    default_user_message = (
        "The bank suspended access to this account after repeated failures; reconnect the bank"
    )


class AccountProcessing(GoCardlessError):
    default_user_message = "The bank is still preparing this account; try again in a few minutes"
    default_retryable = True


class BankUnavailable(GoCardlessError):
    default_user_message = "The bank is temporarily unavailable; try again later"
    default_retryable = True


class UnexpectedResponse(GoCardlessError):
    default_user_message = "The bank-data service sent an answer we could not read; try again later"
    default_retryable = True


# --- mapping ---------------------------------------------------------------------------------


def rate_limit_message(retry_at: datetime, now: datetime) -> str:
    """ "Rate limit reached; next sync possible after 14:05 UTC" (minutes rounded up)."""
    at = retry_at.astimezone(UTC)
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    when = (
        f"{at:%H:%M} UTC" if at.date() == now.astimezone(UTC).date() else f"{at:%Y-%m-%d %H:%M} UTC"
    )
    return f"Rate limit reached; next sync possible after {when}"


def _describe(status_code: int | None, summary: str | None, detail: str | None) -> str:
    parts = [str(status_code) if status_code else "", summary or "", detail or ""]
    head = " ".join(p for p in parts[:2] if p)
    return f"{head}: {parts[2]}" if head and parts[2] else head or parts[2]


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _field_errors(body: Any) -> dict[str, FieldError]:
    if not isinstance(body, dict):
        return {}
    return {
        key: FieldError(str(value.get("summary", "")), str(value.get("detail", "")))
        for key, value in body.items()
        if isinstance(value, dict) and ("summary" in value or "detail" in value)
    }


def _next_utc_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def _rate_limited(
    response: httpx.Response,
    detail: str,
    error_type: str | None,
    scope: str | None,
    now: datetime,
    common: dict[str, Any],
) -> RateLimited:
    if error_type == "RateLimitError":
        return RateLimited(
            retry_at=_next_utc_midnight(now), source="institution", scope=scope, now=now, **common
        )
    account_reset = _int_header(response, "http_x_ratelimit_account_success_reset")
    match = _TRY_AGAIN_IN.search(detail)
    seconds: float | None = int(match.group(1)) if match else None
    if seconds is None:
        seconds = account_reset
    if seconds is None:
        seconds = _int_header(response, "http_x_ratelimit_reset")
    if seconds is None:
        seconds = SHORT_WAIT_SECONDS
    per_day = "/day" in detail or account_reset is not None
    retry_at = now + timedelta(seconds=math.ceil(seconds))
    return RateLimited(
        retry_at=retry_at,
        source="account" if per_day else "general",
        scope=scope,
        now=now,
        **common,
    )


def error_from_response(
    response: httpx.Response, *, scope: str | None = None, now: datetime | None = None
) -> GoCardlessError:
    """The exception for a non-2xx answer."""
    now = now or datetime.now(UTC)
    status = response.status_code
    body = _body(response)
    data = body if isinstance(body, dict) else {}
    summary = str(data.get("summary") or "") or None
    detail = str(data.get("detail") or "")
    error_type = str(data["type"]) if data.get("type") else None
    common: dict[str, Any] = {
        "status_code": status,
        "summary": summary,
        "detail": detail or None,
        "error_type": error_type,
        "body": body,
    }
    text = f"{summary or ''} {detail} {error_type or ''}".lower()

    if summary and summary.startswith("End User Agreement") and "expired" in text:
        return AgreementExpired(**common)
    if status == 429:
        return _rate_limited(response, detail, error_type, scope, now, common)
    if status == 401:
        if error_type in ("AccessExpiredError", "AccountAccessExpiredError") or "revoked" in text:
            return AccessRevoked(**common)
        return AuthenticationFailed(**common)
    if status == 409:
        if "suspend" in text:
            return AccountSuspended(**common)
        if "processing" in text or "being processed" in text:
            return AccountProcessing(**common)
        return GoCardlessError(**common)
    if status == 404:
        return NotFound(**common)
    if status == 400:
        return InvalidRequest(field_errors=_field_errors(body), **common)
    if status >= 500:
        return BankUnavailable(**common)
    return GoCardlessError(**common)


def is_invalid_token(response: httpx.Response) -> bool:
    """A 401 about the bearer token itself (worth one retry with a fresh token)."""
    if response.status_code != 401:
        return False
    body = _body(response)
    return isinstance(body, dict) and body.get("summary") == "Invalid token"


def transport_error(exc: httpx.TransportError) -> BankUnavailable:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return BankUnavailable(f"GoCardless request {kind}: {exc!r}")
