"""Connections that went through the bank-link flow at the emulator (real accounts behind them)."""

from __future__ import annotations

import secrets
import uuid

from bench.seed import SANDBOX

CALLBACK_URL = "http://localhost:3000/api/connections/callback"


def linked_connections(emulator_url: str, user_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """``count`` active connections of ``user_id``, each linked at the emulator with accounts."""
    from app.accounts import repository as accounts_repo
    from app.accounts.repository import LinkedAccount
    from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY
    from app.connections import repository as connections_repo
    from app.db import session_scope
    from app.enums import ConnectionStatus
    from app.providers.gocardless import GoCardlessClient
    from emulator.testing import EmulatorControl, api_base_url

    created: list[uuid.UUID] = []
    with (
        EmulatorControl(emulator_url) as control,
        GoCardlessClient(
            api_base_url(emulator_url), EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY, timeout=10.0
        ) as bank,
    ):
        control.set_limits(account_success_per_day=1000)
        for _ in range(count):
            agreement = bank.create_agreement(SANDBOX)
            reference = secrets.token_urlsafe(16)
            requisition = bank.create_requisition(CALLBACK_URL, SANDBOX, reference, agreement.id)
            linked = control.force_status(requisition.id, "LN")
            with session_scope() as session:
                connection = connections_repo.create_connection(
                    session,
                    user_id=user_id,
                    institution_id=SANDBOX,
                    institution_name="Sandbox Finance",
                    requisition_id=requisition.id,
                    agreement_id=agreement.id,
                    reference=reference,
                )
                connection.status = ConnectionStatus.ACTIVE
                accounts_repo.link_accounts(
                    session,
                    connection.id,
                    [LinkedAccount(account_id) for account_id in linked["accounts"]],
                )
                session.flush()
                created.append(connection.id)
    return created
