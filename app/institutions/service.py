"""Which banks a user can link."""

from __future__ import annotations

from app.config import Environment, Settings
from app.connections.bank import BankError, bank_error
from app.providers.gocardless import GoCardlessClient, GoCardlessError, Institution, InvalidRequest

SANDBOX_INSTITUTION_ID = "SANDBOXFINANCE_SFIN0000"


def sandbox_offered(settings: Settings) -> bool:
    return settings.uses_emulator or settings.environment in (
        Environment.DEVELOPMENT,
        Environment.TEST,
    )


def list_institutions(
    client: GoCardlessClient, settings: Settings, country: str
) -> list[Institution]:
    """The banks of ``country`` (ISO 3166 alpha-2), the sandbox bank first outside production."""
    country = country.upper()
    try:
        institutions = client.list_institutions(country)
        if sandbox_offered(settings) and all(i.id != SANDBOX_INSTITUTION_ID for i in institutions):
            institutions.insert(0, client.get_institution(SANDBOX_INSTITUTION_ID))
    except InvalidRequest as exc:
        if "country" in exc.field_errors:
            raise BankError(f"Unknown country code {country!r}", 400) from exc
        raise bank_error(exc) from exc
    except GoCardlessError as exc:
        raise bank_error(exc) from exc
    return institutions


def get_institution(client: GoCardlessClient, institution_id: str) -> Institution:
    try:
        return client.get_institution(institution_id)
    except GoCardlessError as exc:
        if exc.status_code in (400, 404):
            raise BankError(f"Unknown institution {institution_id!r}", 400) from exc
        raise bank_error(exc) from exc
