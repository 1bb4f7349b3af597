from __future__ import annotations

from pydantic import BaseModel


class InstitutionOut(BaseModel):
    id: str
    name: str
    bic: str | None
    logo: str | None
    countries: list[str]
