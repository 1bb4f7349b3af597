"""The emulator's FastAPI application.

Run it with `uv run uvicorn emulator.app:app --host 127.0.0.1 --port 8088`. Set
EMULATOR_STATE_FILE to keep state across restarts and EMULATOR_PUBLIC_URL when the browser
reaches the emulator at another address than the API clients do.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from emulator.errors import APIError, api_error
from emulator.routes import (
    accounts,
    agreements,
    consent,
    control,
    institutions,
    requisitions,
    tokens,
)
from emulator.state import CallRecord, Store, format_timestamp, state_file_from_env, utcnow

API_PREFIX = "/api/v2"
CONTROL_PREFIX = "/_emulator"

_ACCOUNT_PATH = re.compile(r"^/api/v2/accounts/([^/]+)/")
_REQUISITION_PATH = re.compile(r"^/api/v2/requisitions/([^/]+)/")

_VALIDATION_SUMMARIES = {
    "missing": "This field is required.",
    "int_parsing": "A valid integer is required.",
    "int_type": "A valid integer is required.",
    "int_from_float": "A valid integer is required.",
    "string_type": "Not a valid string.",
    "list_type": "Expected a list of items.",
}


def general_bucket(method: str, path: str) -> str | None:
    """Which per-minute limit a request counts against (token/ calls have none)."""
    if not path.startswith(API_PREFIX + "/") or path.startswith(API_PREFIX + "/token/"):
        return None
    if path.startswith(API_PREFIX + "/accounts/"):
        return "accounts"
    if path.startswith(API_PREFIX + "/institutions/"):
        return "institutions"
    if method == "POST" and path.startswith(
        (API_PREFIX + "/agreements/", API_PREFIX + "/requisitions/")
    ):
        return "create"
    return "other"


def _error_response(error: APIError) -> JSONResponse:
    return JSONResponse(error.body, status_code=error.status_code, headers=error.headers)


async def _api_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return _error_response(exc)


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(CONTROL_PREFIX):
        return await request_validation_exception_handler(request, exc)
    body: dict[str, Any] = {}
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            return _error_response(
                api_error(400, "Parse error", f"JSON parse error - {error.get('msg', '')}")
            )
        field = location[1] if len(location) > 1 else "non_field_errors"
        summary = _VALIDATION_SUMMARIES.get(str(error.get("type")), str(error.get("msg")))
        body.setdefault(field, {"summary": summary, "detail": str(error.get("msg"))})
    body["status_code"] = 400
    return JSONResponse(body, status_code=400)


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return _error_response(api_error(404, "Not found.", "Not found."))
    if exc.status_code == 405:
        detail = f'Method "{request.method}" not allowed.'
        return _error_response(api_error(405, detail, detail))
    detail = str(exc.detail)
    return JSONResponse(
        {"summary": detail, "detail": detail, "status_code": exc.status_code},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def api_middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path.startswith(CONTROL_PREFIX + "/") or path.startswith(("/docs", "/openapi")):
            return await call_next(request)
        store: Store = request.app.state.store
        if path.startswith(API_PREFIX + "/") and store.faults.latency_ms:
            await asyncio.sleep(store.faults.latency_ms / 1000)

        bucket = general_bucket(request.method, path)
        general = store.take_general(bucket) if bucket else None
        if general is not None and not general[3]:
            limit, _, reset, _ = general
            response: Response = _error_response(
                api_error(
                    429,
                    "Rate limit exceeded",
                    f"The rate limit for this resource is {limit}/min. "
                    f"Please try again in {reset} seconds",
                )
            )
        else:
            response = await call_next(request)
        if general is not None:
            limit, remaining, reset, _ = general
            response.headers["http_x_ratelimit_limit"] = str(limit)
            response.headers["http_x_ratelimit_remaining"] = str(remaining)
            response.headers["http_x_ratelimit_reset"] = str(reset)

        account_match = _ACCOUNT_PATH.match(path)
        account_id = account_match.group(1) if account_match else None
        requisition_match = _REQUISITION_PATH.match(path)
        requisition_id: str | None = getattr(request.state, "requisition_id", None)
        if requisition_id is None and requisition_match:
            requisition_id = requisition_match.group(1)
        if requisition_id is None and account_id is not None:
            with store.lock:
                account = store.data.accounts.get(account_id)
                requisition_id = account.requisition_id if account else None
        store.log_call(
            CallRecord(
                method=request.method,
                path=path,
                query=request.url.query,
                status=response.status_code,
                account_id=account_id,
                requisition_id=requisition_id,
                time=format_timestamp(utcnow()),
            )
        )
        return response


def create_app(state_file: Path | None = None) -> FastAPI:
    """A fresh emulator with its own state (loaded from `state_file` when it exists)."""
    app = FastAPI(
        title="GoCardless Bank Account Data emulator",
        version="2",
        description="The GoCardless Bank Account Data API v2, emulated for local development.",
    )
    app.state.store = Store(state_file)
    app.add_exception_handler(APIError, _api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    for module in (tokens, institutions, agreements, requisitions, accounts):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(consent.router)
    app.include_router(control.router)
    _install_middleware(app)
    return app


app = create_app(state_file_from_env())
