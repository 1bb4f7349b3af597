"""The API's GoCardless client and the mapping of bank failures to HTTP answers."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Annotated

from fastapi import Depends

from app.config import get_settings
from app.errors import DomainError
from app.providers.gocardless import (
    AuthenticationFailed,
    BankUnavailable,
    GoCardlessClient,
    GoCardlessError,
    InvalidRequest,
    NotFound,
    RateLimited,
    UnexpectedResponse,
)

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "The bank-data service is unavailable right now; try again later"


class BankError(DomainError):
    """A GoCardless failure as the API reports it."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@lru_cache
def get_bank_client() -> GoCardlessClient:
    """One client per API process: it keeps the access token between requests."""
    return GoCardlessClient.from_settings(get_settings())


BankClient = Annotated[GoCardlessClient, Depends(get_bank_client)]


def bank_error(exc: GoCardlessError) -> BankError:
    if isinstance(exc, AuthenticationFailed):
        log.error("GoCardless refused our credentials: %s", exc)
        return BankError(UNAVAILABLE_MESSAGE, 503)
    if isinstance(exc, BankUnavailable | UnexpectedResponse):
        log.warning("GoCardless unavailable: %s", exc)
        return BankError(exc.user_message, 503)
    if isinstance(exc, RateLimited):
        return BankError(exc.user_message, 429)
    if isinstance(exc, NotFound):
        return BankError(exc.user_message, 404)
    if isinstance(exc, InvalidRequest):
        return BankError(exc.user_message, 400)
    log.warning("GoCardless error: %s", exc)
    return BankError(exc.user_message, 502)
