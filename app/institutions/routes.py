from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import CurrentUser
from app.config import get_settings
from app.connections.bank import BankClient
from app.institutions import service
from app.institutions.schemas import InstitutionOut

router = APIRouter(prefix="/api/institutions", tags=["institutions"])


@router.get("", response_model=list[InstitutionOut])
def list_institutions(
    _: CurrentUser,
    client: BankClient,
    country: Annotated[
        str,
        Query(
            pattern=r"^[A-Za-z]{2}$",
            description="ISO 3166 alpha-2 country code, e.g. GB",
            examples=["GB"],
        ),
    ],
) -> list[InstitutionOut]:
    institutions = service.list_institutions(client, get_settings(), country)
    return [
        InstitutionOut(id=i.id, name=i.name, bic=i.bic, logo=i.logo, countries=list(i.countries))
        for i in institutions
    ]
