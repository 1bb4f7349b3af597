from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from emulator.auth import Authorized
from emulator.data import COUNTRY_CHOICES, get_institution, institutions_in
from emulator.errors import api_error, field_errors

router = APIRouter(prefix="/institutions", tags=["institutions"])


@router.get("/")
def list_institutions(_: Authorized, country: str | None = None) -> list[dict[str, Any]]:
    if country is not None and country.upper() not in COUNTRY_CHOICES:
        raise field_errors(
            {"country": ("Invalid country choice.", f'"{country}" is not a valid choice.')}
        )
    return [institution.to_api() for institution in institutions_in(country)]


@router.get("/{institution_id}/")
def get_one(_: Authorized, institution_id: str) -> dict[str, Any]:
    institution = get_institution(institution_id)
    if institution is None:
        raise api_error(404, "Not found.", "Not found.")
    return {**institution.to_api(), "supported_features": [], "identification_codes": []}
