"""The daily full sync: its schedule, the quota it leaves for Refresh, no collision with
scoped runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_schedule_context,
)
from sqlalchemy import func, select

from app.accounts import repository as accounts_repo
from app.accounts.models import Account, Transaction
from app.accounts.repository import QuotaObservation
from app.connections import repository as connections_repo
from app.db import get_engine, session_scope
from app.providers.gocardless import GoCardlessClient
from emulator.testing import EmulatorControl
from orchestration.definitions import defs
from orchestration.gocardless.jobs import JOB_NAME, gocardless_daily_full_sync
from tests.conftest import make_user
from tests.orchestration.support import bank_ids, failure_message, make_active_connection, run_sync


def _transactions(connection_id: uuid.UUID) -> int:
    with session_scope() as session:
        return session.execute(
            select(func.count())
            .select_from(Transaction)
            .join(Account)
            .where(Account.connection_id == connection_id)
        ).scalar_one()


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.local_temp(str(tmp_path)) as local:
        yield local


def test_schedule_requests_an_unscoped_run_tagged_as_the_full_sync(
    instance: DagsterInstance,
) -> None:
    schedule = defs.resolve_schedule_def("gocardless_daily_full_sync")
    assert schedule.execution_timezone == "UTC"
    assert schedule.cron_schedule == "0 5 * * *"
    assert schedule.job_name == JOB_NAME

    result = gocardless_daily_full_sync(build_schedule_context(instance=instance))

    assert isinstance(result, RunRequest)
    assert result.run_config == {}
    assert result.tags["bankjobs/connection_id"] == "all"


def test_schedule_skips_while_a_full_sync_is_still_running(instance: DagsterInstance) -> None:
    job = defs.resolve_job_def(JOB_NAME)
    instance.create_run_for_job(
        job, tags={"bankjobs/connection_id": "all"}, status=DagsterRunStatus.STARTED
    )

    result = gocardless_daily_full_sync(build_schedule_context(instance=instance))

    assert isinstance(result, SkipReason)
    assert "still running" in (result.skip_message or "")


@pytest.mark.usefixtures("committed_db")
def test_full_sync_keeps_the_last_calls_for_refresh(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    with session_scope() as session:
        connection = make_active_connection(session, bank, emulator, make_user(session).id)
        connection_id = connection.id
        yesterday = datetime.now(UTC) - timedelta(hours=20)
        for account in connection.accounts:
            for scope in ("details", "balances", "transactions"):
                accounts_repo.record_quota(
                    session,
                    account.id,
                    QuotaObservation(
                        scope, 4, 1, datetime.now(UTC) + timedelta(hours=4), yesterday
                    ),
                )
        accounts = bank_ids(session, connection_id)

    assert run_sync(emulator_url).success
    assert _transactions(connection_id) == 0
    assert all(emulator.calls(account_id=account) == [] for account in accounts)

    assert run_sync(emulator_url, connection_id).success  # Refresh may spend the last call
    assert _transactions(connection_id) > 0  # the week since the last sync, plus overlap


@pytest.mark.usefixtures("committed_db")
def test_full_sync_skips_a_connection_a_scoped_run_is_syncing(
    emulator_url: str, bank: GoCardlessClient, emulator: EmulatorControl
) -> None:
    with session_scope() as session:
        busy = make_active_connection(session, bank, emulator, make_user(session).id).id
        free = make_active_connection(session, bank, emulator, make_user(session).id).id
        busy_accounts = bank_ids(session, busy)

    with get_engine().connect() as other_run:
        assert connections_repo.try_sync_lock(other_run, busy)
        try:
            assert run_sync(emulator_url).success
            scoped = run_sync(emulator_url, busy, lock_wait_seconds=0.5)
        finally:
            connections_repo.release_sync_lock(other_run, busy)
            other_run.commit()

    assert _transactions(free) > 20
    assert _transactions(busy) == 0
    assert all(emulator.calls(account_id=account) == [] for account in busy_accounts)
    assert failure_message(scoped) == (
        "Another sync of this connection is still running; try again in a few minutes"
    )
