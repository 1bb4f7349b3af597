"""Bank-sync test support: the real emulator, linked connections, real Dagster runs.

The emulator and the ``bank`` client fixtures live in tests/conftest.py.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from dagster import Definitions, ExecuteInProcessResult, mem_io_manager
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.accounts import repository as accounts_repo
from app.accounts.models import Account
from app.accounts.repository import LinkedAccount
from app.connections import repository as connections_repo
from app.connections.models import Connection
from app.db import get_engine
from app.enums import ConnectionStatus
from app.providers.gocardless import GoCardlessClient
from emulator.testing import EmulatorControl, api_base_url
from orchestration.gocardless.extraction import gocardless_extraction
from orchestration.gocardless.jobs import JOB_NAME, gocardless_connection_sync_job
from orchestration.gocardless.sync import gocardless_sync
from orchestration.resources import DatabaseResource, GoCardlessResource, SyncScope

SANDBOX = "SANDBOXFINANCE_SFIN0000"
CALLBACK_URL = "http://localhost:3000/api/connections/callback"


def link_at_bank(
    bank: GoCardlessClient,
    emulator: EmulatorControl,
    institution_id: str = SANDBOX,
    status: str = "LN",
) -> tuple[str, str, str, list[str]]:
    """A requisition at the bank in ``status``: (requisition id, agreement id, reference,
    account ids)."""
    agreement = bank.create_agreement(institution_id)
    reference = secrets.token_urlsafe(16)
    requisition = bank.create_requisition(CALLBACK_URL, institution_id, reference, agreement.id)
    linked = emulator.force_status(requisition.id, status)
    return requisition.id, agreement.id, reference, list(linked["accounts"])


def make_active_connection(
    session: Session, bank: GoCardlessClient, emulator: EmulatorControl, user_id: uuid.UUID
) -> Connection:
    """A connection that went through the link flow: active, accounts known, nothing synced."""
    requisition_id, agreement_id, reference, account_ids = link_at_bank(bank, emulator)
    connection = connections_repo.create_connection(
        session,
        user_id=user_id,
        institution_id=SANDBOX,
        institution_name="Sandbox Finance",
        requisition_id=requisition_id,
        agreement_id=agreement_id,
        reference=reference,
    )
    connection.status = ConnectionStatus.ACTIVE
    accounts_repo.link_accounts(
        session, connection.id, [LinkedAccount(account_id) for account_id in account_ids]
    )
    session.flush()
    return connection


def bank_ids(session: Session, connection_id: uuid.UUID) -> list[str]:
    return list(
        session.execute(
            select(Account.gocardless_account_id).where(Account.connection_id == connection_id)
        ).scalars()
    )


def sync_definitions(emulator_url: str) -> Definitions:
    return Definitions(
        assets=[gocardless_extraction, gocardless_sync],
        jobs=[gocardless_connection_sync_job],
        resources={
            "sync_scope": SyncScope(),
            "gocardless": GoCardlessResource(base_url=api_base_url(emulator_url)),
            "database": DatabaseResource(lock_wait_seconds=5.0),
            "io_manager": mem_io_manager,
        },
    )


def run_sync(
    emulator_url: str,
    connection_id: uuid.UUID | None = None,
    *,
    lock_wait_seconds: float | None = None,
) -> ExecuteInProcessResult:
    """The real sync job, executed in this process against the emulator and the test DB."""
    resources: dict[str, Any] = {}
    tags = {}
    if connection_id is not None:
        resources["sync_scope"] = {"config": {"connection_id": str(connection_id)}}
        tags = {"bankjobs/connection_id": str(connection_id)}
    if lock_wait_seconds is not None:
        resources["database"] = {"config": {"lock_wait_seconds": lock_wait_seconds}}
    config = {"resources": resources} if resources else {}
    job = sync_definitions(emulator_url).resolve_job_def(JOB_NAME)
    return job.execute_in_process(run_config=config, tags=tags, raise_on_error=False)


def failure_message(result: ExecuteInProcessResult) -> str:
    assert not result.success
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return data.user_failure_data.description
        if data.error is not None:
            return data.error.message
    raise AssertionError("the run failed without a step failure")


def snapshot(connection_id: uuid.UUID) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of the connection's accounts, balances and transactions."""
    with get_engine().connect() as db:
        params = {"connection_id": connection_id}
        return {
            table: [
                tuple(row)
                for row in db.execute(
                    text(
                        f"SELECT t.* FROM {table} t "  # noqa: S608 - fixed table names
                        f"JOIN accounts a ON a.id = {column} "
                        "WHERE a.connection_id = :connection_id ORDER BY t.id"
                    ),
                    params,
                )
            ]
            for table, column in (
                ("accounts", "t.id"),
                ("balances", "t.account_id"),
                ("transactions", "t.account_id"),
            )
        }
