"""Sync: the extracted data written into the app's tables, idempotently.

Per connection, in one transaction: account details, one balance row per type, booked
transactions upserted by (account, bank id), pending ones replaced by what the bank reports
now, and the quota as the bank last reported it. Writing the same extraction twice changes
nothing. An expired agreement or revoked access marks the connection expired. A connection
that could not be synced fails the run with its owner-facing message, after everything that
could be written has been.
"""

from dataclasses import dataclass

from dagster import AssetExecutionContext, Failure, MetadataValue, asset
from sqlalchemy.orm import Session

from app.accounts import repository as accounts_repo
from app.accounts.models import Account
from app.connections import repository as connections_repo
from app.db import utcnow
from app.enums import ConnectionStatus
from orchestration.gocardless.extraction import GROUP, ConnectionData, Extraction
from orchestration.resources import DatabaseResource


@dataclass
class SyncCounts:
    accounts_updated: int = 0
    balances_changed: int = 0
    transactions_changed: int = 0
    pending_removed: int = 0

    def add(self, other: "SyncCounts") -> None:
        self.accounts_updated += other.accounts_updated
        self.balances_changed += other.balances_changed
        self.transactions_changed += other.transactions_changed
        self.pending_removed += other.pending_removed


@asset(
    group_name=GROUP,
    description=(
        "Accounts, balances and transactions in Postgres updated from gocardless_extraction: "
        "idempotent upserts, pending transactions replaced; fails the run with a message the "
        "user can act on when a connection could not be synced."
    ),
)
def gocardless_sync(
    context: AssetExecutionContext,
    database: DatabaseResource,
    gocardless_extraction: Extraction,
) -> None:
    totals = SyncCounts()
    failed: list[ConnectionData] = []
    synced = 0
    for data in gocardless_extraction.connections:
        try:
            if data.skipped is None:
                with database.session() as session:
                    totals.add(write_connection(session, data))
                synced += data.complete
        finally:
            database.release_sync_lock(data.connection_id)
        if data.problem is not None:
            failed.append(data)
    context.add_output_metadata(
        {
            "connections_synced": synced,
            "connections_failed": len(failed),
            "accounts_updated": totals.accounts_updated,
            "balances_changed": totals.balances_changed,
            "transactions_changed": totals.transactions_changed,
            "pending_removed": totals.pending_removed,
            "failures": MetadataValue.json(
                {str(d.connection_id): d.problem.message for d in failed if d.problem}
            ),
        }
    )
    if failed:
        raise Failure(
            description=_failure_message(gocardless_extraction, failed),
            metadata={
                "connection_ids": MetadataValue.json([str(d.connection_id) for d in failed]),
                "details": MetadataValue.json(
                    {str(d.connection_id): d.problem.detail for d in failed if d.problem}
                ),
            },
            allow_retries=False,
        )


def write_connection(session: Session, data: ConnectionData) -> SyncCounts:
    counts = SyncCounts()
    for item in data.accounts:
        account = session.get(Account, item.account_id)
        if account is None:
            continue
        if item.details is not None and accounts_repo.update_account_details(
            session, account, item.details
        ):
            counts.accounts_updated += 1
        if item.balances is not None:
            counts.balances_changed += accounts_repo.upsert_balances(
                session, account.id, item.balances
            )
        if item.booked is not None and item.pending is not None:
            counts.transactions_changed += accounts_repo.upsert_transactions(
                session, account.id, item.booked
            )
            counts.pending_removed += accounts_repo.delete_pending_transactions_except(
                session, account.id, (record.bank_transaction_id for record in item.pending)
            )
            counts.transactions_changed += accounts_repo.upsert_transactions(
                session, account.id, item.pending
            )
        for observation in item.quotas:
            accounts_repo.record_quota(session, account.id, observation)
    if data.problem is not None and data.problem.reauthorise:
        connections_repo.set_connection_status(
            session,
            data.connection_id,
            ConnectionStatus.EXPIRED,
            data.problem.message,
            only_if=ConnectionStatus.ACTIVE,
        )
    elif data.complete:
        connections_repo.mark_synced(session, [data.connection_id], utcnow())
    return counts


def _failure_message(extraction: Extraction, failed: list[ConnectionData]) -> str:
    if extraction.scoped and len(failed) == 1 and failed[0].problem is not None:
        return failed[0].problem.message
    parts = [f"{d.institution_name}: {d.problem.message}" for d in failed if d.problem]
    return (
        f"{len(failed)} of {len(extraction.connections)} connections could not be synced: "
        + "; ".join(parts)
    )
