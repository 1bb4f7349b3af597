"""GoCardless-shaped error answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class APIError(Exception):
    """An error answer: raised anywhere in a route, rendered as JSON by the app's handler."""

    def __init__(
        self, status_code: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status_code}: {body}")
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers or {})


def api_error(
    status_code: int,
    summary: str,
    detail: str,
    *,
    type_: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> APIError:
    body: dict[str, Any] = {"summary": summary, "detail": detail}
    if type_ is not None:
        body["type"] = type_
    body["status_code"] = status_code
    return APIError(status_code, body, headers)


def field_errors(errors: Mapping[str, tuple[str, str]]) -> APIError:
    """A 400 keyed by field: {"field": {"summary", "detail"}, ..., "status_code": 400}."""
    body: dict[str, Any] = {
        field: {"summary": summary, "detail": detail} for field, (summary, detail) in errors.items()
    }
    body["status_code"] = 400
    return APIError(400, body)


REQUIRED = ("This field is required.", "This field is required.")


def invalid_token() -> APIError:
    return api_error(401, "Invalid token", "Token is invalid or expired")


def not_found() -> APIError:
    return api_error(404, "Not found.", "Not found.")
