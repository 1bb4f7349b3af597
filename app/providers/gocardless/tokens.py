"""Access/refresh token cache: refreshes ahead of expiry, falls back to a new pair."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
import jwt
from pydantic import BaseModel, ValidationError

from app.providers.gocardless.errors import (
    AuthenticationFailed,
    UnexpectedResponse,
    error_from_response,
    transport_error,
)
from app.providers.gocardless.schemas import AccessToken, TokenPair

_T = TypeVar("_T", bound=BaseModel)


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float
    lifetime: float


def _token(value: str, expires_in: int, received_at: float) -> _Token:
    """Lifetime from the JWT's `exp - iat` (decoded without verifying it), else `*_expires`.

    The lifetime is counted from when the token arrived, so a skewed clock on either side does
    not make a fresh token look expired (or an expired one fresh).
    """
    lifetime = float(expires_in)
    try:
        claims = jwt.decode(value, options={"verify_signature": False})
        lifetime = float(claims["exp"]) - float(claims.get("iat", claims["exp"] - expires_in))
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        pass
    return _Token(value, received_at + lifetime, max(lifetime, 0.0))


class TokenManager:
    """Thread-safe holder of the access token every API call needs."""

    def __init__(
        self,
        http: httpx.Client,
        secret_id: str,
        secret_key: str,
        *,
        refresh_margin_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._margin = refresh_margin_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._access: _Token | None = None
        self._refresh: _Token | None = None

    def _fresh(self, token: _Token | None) -> bool:
        if token is None:
            return False
        margin = min(self._margin, token.lifetime / 2)
        return token.expires_at - self._clock() > margin

    def access_token(self) -> str:
        with self._lock:
            if self._access is not None and self._fresh(self._access):
                return self._access.value
            if self._refresh is not None and self._fresh(self._refresh):
                try:
                    self._access = self._refreshed(self._refresh.value)
                    return self._access.value
                except AuthenticationFailed:
                    self._refresh = None
            self._access, self._refresh = self._new_pair()
            return self._access.value

    def invalidate(self, access_token: str) -> None:
        """Forget `access_token` (GoCardless refused it) unless it was already replaced."""
        with self._lock:
            if self._access is not None and self._access.value == access_token:
                self._access = None

    def _post(self, path: str, payload: dict[str, str]) -> httpx.Response:
        try:
            response = self._http.post(path, json=payload)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        if not response.is_success:
            error = error_from_response(response)
            if response.status_code == 401 and not isinstance(error, AuthenticationFailed):
                error = AuthenticationFailed(
                    status_code=error.status_code,
                    summary=error.summary,
                    detail=error.detail,
                    body=error.body,
                )
            raise error
        return response

    def _new_pair(self) -> tuple[_Token, _Token]:
        response = self._post(
            "token/new/", {"secret_id": self._secret_id, "secret_key": self._secret_key}
        )
        now = self._clock()
        pair = _parse(TokenPair, response)
        return (
            _token(pair.access, pair.access_expires, now),
            _token(pair.refresh, pair.refresh_expires, now),
        )

    def _refreshed(self, refresh: str) -> _Token:
        response = self._post("token/refresh/", {"refresh": refresh})
        token = _parse(AccessToken, response)
        return _token(token.access, token.access_expires, self._clock())


def _parse(model: type[_T], response: httpx.Response) -> _T:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise UnexpectedResponse(f"unreadable token answer: {exc}") from exc
