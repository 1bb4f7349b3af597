"""Synchronous client of the GoCardless Bank Account Data API v2."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.config import Settings, get_settings
from app.providers.gocardless.errors import (
    UnexpectedResponse,
    error_from_response,
    is_invalid_token,
    transport_error,
)
from app.providers.gocardless.schemas import (
    ALL_SCOPES,
    Account,
    AccountBalances,
    AccountDetails,
    AccountQuota,
    AccountScope,
    AccountTransactions,
    Agreement,
    Institution,
    Requisition,
    RequisitionPage,
)
from app.providers.gocardless.tokens import TokenManager

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)
_INSTITUTIONS = TypeAdapter(list[Institution])
_QUOTA_HEADERS = (
    "http_x_ratelimit_account_success_limit",
    "http_x_ratelimit_account_success_remaining",
    "http_x_ratelimit_account_success_reset",
)


class GoCardlessClient:
    """One client per process or job; thread-safe. Close it (or use `with`) when done.

    Tokens are refreshed when less than `refresh_margin_seconds` (at most half the token's
    lifetime) remain; `clock` (epoch seconds) is the time that decision uses.

    Every method raises a `GoCardlessError` subclass on failure (see `errors.py`). The three
    account-data calls return results whose `.quota` is the remaining daily quota for that
    account and scope; `last_quota()` keeps the latest one seen per (account, scope).
    """

    def __init__(
        self,
        base_url: str,
        secret_id: str,
        secret_key: str,
        timeout: float = 10.0,
        *,
        refresh_margin_seconds: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "bankjobs-gocardless/1"},
        )
        self._tokens = TokenManager(
            self._http,
            secret_id,
            secret_key,
            refresh_margin_seconds=refresh_margin_seconds,
            clock=clock,
        )
        self._quota_lock = threading.Lock()
        self._quotas: dict[tuple[str, str], AccountQuota] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> GoCardlessClient:
        return cls(
            settings.gocardless_base_url,
            settings.gocardless_secret_id,
            settings.gocardless_secret_key,
            settings.gocardless_timeout_seconds,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- institutions -----------------------------------------------------------------------

    def list_institutions(self, country: str | None = None) -> list[Institution]:
        params = {"country": country} if country else None
        response = self._send("GET", "institutions/", params=params)
        return _parse_with(_INSTITUTIONS, response)

    def get_institution(self, institution_id: str) -> Institution:
        return _parse(Institution, self._send("GET", f"institutions/{institution_id}/"))

    # --- agreements and requisitions --------------------------------------------------------

    def create_agreement(
        self,
        institution_id: str,
        max_historical_days: int = 90,
        access_valid_for_days: int = 90,
        access_scope: Iterable[AccountScope] = ALL_SCOPES,
    ) -> Agreement:
        payload = {
            "institution_id": institution_id,
            "max_historical_days": max_historical_days,
            "access_valid_for_days": access_valid_for_days,
            "access_scope": list(access_scope),
        }
        return _parse(Agreement, self._send("POST", "agreements/enduser/", json=payload))

    def get_agreement(self, agreement_id: str) -> Agreement:
        return _parse(Agreement, self._send("GET", f"agreements/enduser/{agreement_id}/"))

    def create_requisition(
        self,
        redirect: str,
        institution_id: str,
        reference: str,
        agreement: str | None = None,
        user_language: str = "EN",
    ) -> Requisition:
        payload: dict[str, Any] = {
            "redirect": redirect,
            "institution_id": institution_id,
            "reference": reference,
            "user_language": user_language,
        }
        if agreement is not None:
            payload["agreement"] = agreement
        return _parse(Requisition, self._send("POST", "requisitions/", json=payload))

    def get_requisition(self, requisition_id: str) -> Requisition:
        return _parse(Requisition, self._send("GET", f"requisitions/{requisition_id}/"))

    def list_requisitions(self, limit: int = 100, offset: int = 0) -> RequisitionPage:
        params = {"limit": limit, "offset": offset}
        return _parse(RequisitionPage, self._send("GET", "requisitions/", params=params))

    def delete_requisition(self, requisition_id: str) -> None:
        self._send("DELETE", f"requisitions/{requisition_id}/")

    # --- accounts ---------------------------------------------------------------------------

    def get_account(self, account_id: str) -> Account:
        return _parse(Account, self._send("GET", f"accounts/{account_id}/"))

    def get_account_details(self, account_id: str) -> AccountDetails:
        return self._account_data(AccountDetails, account_id, "details")

    def get_account_balances(self, account_id: str) -> AccountBalances:
        return self._account_data(AccountBalances, account_id, "balances")

    def get_account_transactions(
        self, account_id: str, date_from: date | None = None, date_to: date | None = None
    ) -> AccountTransactions:
        params: dict[str, str] = {}
        if date_from is not None:
            params["date_from"] = date_from.isoformat()
        if date_to is not None:
            params["date_to"] = date_to.isoformat()
        return self._account_data(AccountTransactions, account_id, "transactions", params)

    def last_quota(self, account_id: str, scope: AccountScope) -> AccountQuota | None:
        """The quota the latest successful call for this account and scope reported."""
        with self._quota_lock:
            return self._quotas.get((account_id, scope))

    # --- plumbing ---------------------------------------------------------------------------

    def _account_data(
        self,
        model: type[_M],
        account_id: str,
        scope: AccountScope,
        params: Mapping[str, str] | None = None,
    ) -> _M:
        response = self._send("GET", f"accounts/{account_id}/{scope}/", params=params, scope=scope)
        result = _parse(model, response)
        quota = _quota_from(response, scope)
        if quota is None:
            return result
        with self._quota_lock:
            self._quotas[(account_id, scope)] = quota
        log.info(
            "GoCardless %s quota for account %s: %d of %d left, resets in %d s",
            scope,
            account_id,
            quota.remaining,
            quota.limit,
            quota.reset_seconds,
        )
        return result.model_copy(update={"quota": quota})

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        scope: str | None = None,
    ) -> httpx.Response:
        for attempt in (1, 2):
            token = self._tokens.access_token()
            try:
                response = self._http.request(
                    method,
                    path,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.TransportError as exc:
                raise transport_error(exc) from exc
            if attempt == 1 and is_invalid_token(response):
                self._tokens.invalidate(token)
                continue
            if response.is_success:
                return response
            raise error_from_response(response, scope=scope)
        raise AssertionError("unreachable")


def get_gocardless_client(settings: Settings | None = None) -> GoCardlessClient:
    """A new client for the configured service (the local emulator unless real credentials are
    set). The caller closes it: `with get_gocardless_client() as client: ...`."""
    return GoCardlessClient.from_settings(settings or get_settings())


def _quota_from(response: httpx.Response, scope: AccountScope) -> AccountQuota | None:
    values: list[int] = []
    for name in _QUOTA_HEADERS:
        try:
            values.append(int(response.headers[name]))
        except (KeyError, ValueError):
            return None
    limit, remaining, reset = values
    return AccountQuota(
        scope=scope,
        limit=limit,
        remaining=remaining,
        reset_seconds=reset,
        observed_at=datetime.now(UTC),
    )


def _parse(model: type[_M], response: httpx.Response) -> _M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise UnexpectedResponse(
            f"unreadable {model.__name__} from {response.request.url}: {exc}"
        ) from exc


def _parse_with(
    adapter: TypeAdapter[list[Institution]], response: httpx.Response
) -> list[Institution]:
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        raise UnexpectedResponse(f"unreadable answer from {response.request.url}: {exc}") from exc
