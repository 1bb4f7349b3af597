"""The bank-link flow: agreement and requisition, the bank's callback, pending checks, listing."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.accounts import repository as accounts_repo
from app.accounts.models import AccountQuota
from app.accounts.repository import LinkedAccount
from app.config import Settings
from app.connections import repository
from app.connections.bank import bank_error
from app.connections.models import Connection
from app.connections.schemas import (
    AccountOut,
    BalanceOut,
    ConnectionOut,
    ConnectOutcome,
)
from app.db import utcnow
from app.enums import ConnectionStatus, EntityType, JobType
from app.errors import ConflictError, DomainError, NotFoundError
from app.institutions.service import get_institution
from app.jobs import repository as jobs_repo
from app.jobs.schemas import JobResponse
from app.jobs.service import trigger_connection_sync
from app.providers.gocardless import (
    GoCardlessClient,
    GoCardlessError,
    Institution,
    Requisition,
    RequisitionStatus,
)

log = logging.getLogger(__name__)

SYNC_SCOPES = ("balances", "transactions")
_QUOTA_WINDOW = timedelta(days=1)

INVALID_REFERENCE = "This bank link is invalid or has already been used; connect the bank again"
REJECTED_REASON = "The bank rejected the link (wrong credentials or a failed check); try again"
EXPIRED_REASON = "The bank link expired before it was completed; connect the bank again"
NOT_COMPLETED_REASON = "The bank link was never completed; connect the bank again"
WAITING_REASON = "Waiting for the bank to confirm access; this can take a while"
_ERROR_REASONS = {
    "UserCancelledSession": "You cancelled the bank login",
    "UserSessionRejected": "The bank rejected the login",
    "RequisitionLinkReused": "This bank link was already used; connect the bank again",
    "InstitutionTechnicalError": "The bank had a technical problem; try again later",
    "GoCardlessTechnicalError": "The bank-data service had a technical problem; try again later",
}


class InvalidReference(DomainError):
    status_code = 400


class ConnectionNotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__("Connection not found")


@dataclass(frozen=True)
class CallbackResult:
    connection: Connection
    outcome: ConnectOutcome
    reason: str | None


# --- linking -------------------------------------------------------------------------------


def new_reference() -> str:
    return secrets.token_urlsafe(32)


def create_connection(
    session: Session,
    client: GoCardlessClient,
    settings: Settings,
    user_id: uuid.UUID,
    institution_id: str,
) -> tuple[Connection, str]:
    """A pending connection with a fresh agreement and requisition; returns it and the link."""
    institution = get_institution(client, institution_id)
    reference = new_reference()
    requisition = _start_requisition(client, settings, institution, reference)
    connection = repository.create_connection(
        session,
        user_id=user_id,
        institution_id=institution.id,
        institution_name=institution.name,
        requisition_id=requisition.id,
        agreement_id=requisition.agreement or "",
        reference=reference,
    )
    return connection, requisition.link


def reconnect(
    session: Session,
    client: GoCardlessClient,
    settings: Settings,
    user_id: uuid.UUID,
    connection_id: uuid.UUID,
) -> tuple[Connection, str]:
    """A new agreement, requisition and reference on the same connection, back to pending."""
    connection = repository.get_connection_for_user(session, connection_id, user_id)
    if connection is None:
        raise ConnectionNotFound()
    if connection.status is ConnectionStatus.ACTIVE:
        raise ConflictError("This connection is active; there is nothing to reconnect")
    reference = new_reference()
    institution = get_institution(client, connection.institution_id)
    requisition = _start_requisition(client, settings, institution, reference)
    connection.requisition_id = requisition.id
    connection.agreement_id = requisition.agreement
    connection.reference = reference
    connection.reference_used_at = None
    connection.status = ConnectionStatus.PENDING
    connection.status_reason = None
    connection.access_expires_at = None
    session.flush()
    return connection, requisition.link


def _start_requisition(
    client: GoCardlessClient, settings: Settings, institution: Institution, reference: str
) -> Requisition:
    history_days = min(settings.gocardless_history_days, institution.transaction_total_days)
    access_days = settings.gocardless_access_days
    if institution.max_access_valid_for_days:
        access_days = min(access_days, institution.max_access_valid_for_days)
    try:
        agreement = client.create_agreement(
            institution.id, max_historical_days=history_days, access_valid_for_days=access_days
        )
        return client.create_requisition(
            redirect=settings.connections_callback_url,
            institution_id=institution.id,
            reference=reference,
            agreement=agreement.id,
        )
    except GoCardlessError as exc:
        raise bank_error(exc) from exc


def handle_callback(
    session: Session,
    client: GoCardlessClient,
    reference: str,
    error: str | None = None,
    details: str | None = None,
) -> CallbackResult:
    """The browser is back from the bank with ``?ref=``: settle the pending connection.

    The reference is single use; the outcome comes from the requisition's status at the bank,
    never from the query alone.
    """
    connection = repository.get_connection_by_reference_for_update(session, reference)
    if (
        connection is None
        or connection.reference_used_at is not None
        or connection.status is not ConnectionStatus.PENDING
    ):
        raise InvalidReference(INVALID_REFERENCE)
    connection.reference_used_at = utcnow()
    if error:
        reason = _ERROR_REASONS.get(error) or details or f"The bank link failed ({error})"
        _settle(connection, ConnectionStatus.FAILED, reason)
        session.flush()
        return CallbackResult(connection, ConnectOutcome.FAILED, reason)
    result = refresh_pending(session, client, connection)
    session.flush()
    return result


def refresh_pending(
    session: Session, client: GoCardlessClient, connection: Connection
) -> CallbackResult:
    """Ask the bank where a pending connection's requisition stands and act on it."""
    if connection.requisition_id is None:
        _settle(connection, ConnectionStatus.FAILED, NOT_COMPLETED_REASON)
        return CallbackResult(connection, ConnectOutcome.FAILED, NOT_COMPLETED_REASON)
    try:
        requisition = client.get_requisition(connection.requisition_id)
        if requisition.status is RequisitionStatus.LINKED:
            _activate(session, client, connection, requisition)
            return CallbackResult(connection, ConnectOutcome.CONNECTED, None)
    except GoCardlessError as exc:
        log.warning("checking requisition of connection %s failed: %s", connection.id, exc)
        reason = f"{exc.user_message}; we will check again shortly"
        connection.status_reason = reason
        connection.updated_at = utcnow()
        return CallbackResult(connection, ConnectOutcome.PENDING, reason)
    if requisition.status is RequisitionStatus.REJECTED:
        _settle(connection, ConnectionStatus.FAILED, REJECTED_REASON)
        return CallbackResult(connection, ConnectOutcome.FAILED, REJECTED_REASON)
    if requisition.status is RequisitionStatus.EXPIRED:
        _settle(connection, ConnectionStatus.EXPIRED, EXPIRED_REASON)
        return CallbackResult(connection, ConnectOutcome.EXPIRED, EXPIRED_REASON)
    connection.status_reason = WAITING_REASON
    connection.updated_at = utcnow()
    return CallbackResult(connection, ConnectOutcome.PENDING, WAITING_REASON)


def _settle(connection: Connection, status: ConnectionStatus, reason: str | None) -> None:
    connection.status = status
    connection.status_reason = reason
    connection.updated_at = utcnow()


def _activate(
    session: Session, client: GoCardlessClient, connection: Connection, requisition: Requisition
) -> None:
    """LN: the connection becomes active with its accounts, and its first sync is queued."""
    expires_at: datetime | None = None
    if requisition.agreement:
        agreement = client.get_agreement(requisition.agreement)
        accepted = agreement.accepted or utcnow()
        expires_at = accepted + timedelta(days=agreement.access_valid_for_days)
    linked = [_describe_account(client, account_id) for account_id in requisition.accounts]
    accounts_repo.link_accounts(session, connection.id, linked)
    _settle(connection, ConnectionStatus.ACTIVE, None)
    connection.access_expires_at = expires_at
    session.flush()
    trigger_connection_sync(session, connection)


def _describe_account(client: GoCardlessClient, account_id: str) -> LinkedAccount:
    """IBAN and owner from the account's metadata, which costs none of the daily quota."""
    try:
        account = client.get_account(account_id)
    except GoCardlessError as exc:
        log.warning("metadata of account %s unavailable: %s", account_id, exc)
        return LinkedAccount(account_id)
    return LinkedAccount(account_id, iban=account.iban, owner_name=account.owner_name)


def check_pending_connections(
    session: Session, client: GoCardlessClient, settings: Settings, limit: int = 100
) -> dict[str, int]:
    """Beat: links left pending (e.g. UA) are checked again; old ones are given up."""
    now = utcnow()
    max_age = timedelta(hours=settings.connections_pending_max_age_hours)
    counts = {outcome.value: 0 for outcome in ConnectOutcome}
    counts["given_up"] = repository.expire_stale_pending_connections(
        session, now - max_age, NOT_COMPLETED_REASON
    )
    for connection in repository.claim_pending_connections(session, now - max_age, limit):
        result = refresh_pending(session, client, connection)
        counts[result.outcome.value] += 1
    session.flush()
    return counts


# --- listing -------------------------------------------------------------------------------


def list_connections(session: Session, user_id: uuid.UUID) -> list[ConnectionOut]:
    connections = repository.list_connections_for_user(session, user_id)
    ids = [connection.id for connection in connections]
    latest = jobs_repo.get_latest_jobs_for_entities(
        session, EntityType.CONNECTION, ids, JobType.SYNC
    )
    completed = jobs_repo.get_last_completed_at(session, EntityType.CONNECTION, ids, JobType.SYNC)
    quotas = accounts_repo.get_quotas_by_connection(session, ids)
    now = utcnow()
    return [
        to_connection_out(
            connection,
            latest_job=latest.get(connection.id),
            last_job_completed_at=completed.get(connection.id),
            quotas=quotas.get(connection.id, []),
            now=now,
        )
        for connection in connections
    ]


def get_connection_out(session: Session, connection: Connection) -> ConnectionOut:
    latest = jobs_repo.get_latest_jobs_for_entities(
        session, EntityType.CONNECTION, [connection.id], JobType.SYNC
    )
    completed = jobs_repo.get_last_completed_at(
        session, EntityType.CONNECTION, [connection.id], JobType.SYNC
    )
    quotas = accounts_repo.get_quotas_by_connection(session, [connection.id])
    session.refresh(connection, ["accounts"])
    return to_connection_out(
        connection,
        latest_job=latest.get(connection.id),
        last_job_completed_at=completed.get(connection.id),
        quotas=quotas.get(connection.id, []),
        now=utcnow(),
    )


def to_connection_out(
    connection: Connection,
    *,
    latest_job: object | None,
    last_job_completed_at: datetime | None,
    quotas: list[AccountQuota],
    now: datetime,
) -> ConnectionOut:
    synced = [t for t in (last_job_completed_at, connection.last_synced_at) if t is not None]
    return ConnectionOut(
        id=connection.id,
        institution_id=connection.institution_id,
        institution_name=connection.institution_name,
        status=connection.status,
        status_reason=connection.status_reason,
        access_expires_at=connection.access_expires_at,
        created_at=connection.created_at,
        updated_at=connection.updated_at,
        accounts=[
            AccountOut(
                id=account.id,
                iban=account.iban,
                name=account.name,
                currency=account.currency,
                owner_name=account.owner_name,
                balances=[
                    BalanceOut(
                        balance_type=balance.balance_type,
                        amount=f"{balance.amount:.2f}",
                        currency=balance.currency,
                        reference_date=balance.reference_date,
                    )
                    for balance in account.balances
                ],
            )
            for account in connection.accounts
        ],
        latest_sync_job=(
            JobResponse.model_validate(latest_job, from_attributes=True) if latest_job else None
        ),
        last_synced_at=max(synced) if synced else None,
        remaining_daily_syncs=remaining_daily_syncs(quotas, now),
    )


def remaining_daily_syncs(quotas: list[AccountQuota], now: datetime) -> int | None:
    """The lowest remaining quota over the connection's accounts' balances and transactions.

    Read as last reported: once the reported reset time has passed, one more call is free
    (the bank's window rolls); a day after the last success, the whole limit is.
    """
    values: list[int] = []
    for quota in quotas:
        if quota.scope not in SYNC_SCOPES or quota.remaining is None:
            continue
        remaining = quota.remaining
        if quota.limit is not None:
            if quota.last_success_at is not None and now - quota.last_success_at >= _QUOTA_WINDOW:
                remaining = quota.limit
            elif quota.reset_at is not None and quota.reset_at <= now:
                remaining = min(quota.limit, remaining + 1)
        values.append(remaining)
    return min(values) if values else None
