"""The API's list shape: {"count", "next", "previous", "results"} with limit/offset links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request

from emulator.errors import field_errors


def paginate(
    request: Request, items: Sequence[dict[str, Any]], limit: int, offset: int
) -> dict[str, Any]:
    errors = {}
    if limit < 1:
        errors["limit"] = ("Invalid limit", "limit must be a positive integer")
    if offset < 0:
        errors["offset"] = ("Invalid offset", "offset must be zero or a positive integer")
    if errors:
        raise field_errors(errors)
    page = list(items[offset : offset + limit])
    next_url = (
        str(request.url.include_query_params(limit=limit, offset=offset + limit))
        if offset + limit < len(items)
        else None
    )
    previous_url = (
        str(request.url.include_query_params(limit=limit, offset=max(offset - limit, 0)))
        if offset > 0
        else None
    )
    return {"count": len(items), "next": next_url, "previous": previous_url, "results": page}
