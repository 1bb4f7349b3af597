"""Domain errors carry their HTTP status; one handler renders them as ``{"detail": ...}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class UnauthorizedError(DomainError):
    status_code = 401


class ServiceUnavailableError(DomainError):
    status_code = 503


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{location}: {error.get('msg')}" if location else str(error.get("msg"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        message = "; ".join(_describe(error) for error in errors) or "Invalid request"
        return JSONResponse(
            {"detail": f"Invalid request: {message}", "errors": _jsonable(errors)},
            status_code=422,
        )

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        # A value that passed validation but that Postgres refuses as data (a NUL character
        # in text, a number out of range): the request is at fault, and nothing was written.
        reason = _database_refusal(exc)
        logger.warning("refused a value in %s %s: %s", request.method, request.url.path, reason)
        return JSONResponse({"detail": f"Invalid request: {reason}"}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # Postgres refusing connections (restarting, out of slots) or a lost connection: the
        # request's transaction was rolled back, so the client may simply try again.
        logger.error("database unavailable in %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(
            {"detail": "The database is temporarily unavailable; try again in a moment"},
            status_code=503,
            headers={"Retry-After": "2"},
        )


def _database_refusal(exc: DataError) -> str:
    """The database's own words for a value it cannot store (its first line, no SQL)."""
    return str(exc.orig).splitlines()[0] if exc.orig is not None else "invalid value"


def _jsonable(errors: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg"), "type": error.get("type")}
        for error in errors
    ]
