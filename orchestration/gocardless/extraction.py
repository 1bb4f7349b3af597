"""Extraction: account details, balances and transactions of the connections in scope.

Quota-aware: the bank allows about four successful calls per account and scope a day, so
details are fetched once (then every ``gocardless_details_refresh_days``), a scope the bank
said is used up is not asked again before its reset time, and the daily full sync leaves a
reserve for the Refresh button and skips accounts synced a short while ago.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from dagster import AssetExecutionContext, Failure, MetadataValue, asset

from app.accounts import repository as accounts_repo
from app.accounts.models import AccountQuota
from app.accounts.repository import (
    AccountDetails,
    BalanceRecord,
    QuotaObservation,
    TransactionRecord,
)
from app.config import Settings, get_settings
from app.connections import repository as connections_repo
from app.connections.models import Connection
from app.db import utcnow
from app.enums import ConnectionStatus
from app.providers.gocardless import (
    AccountScope,
    AgreementExpired,
    BankUnavailable,
    GoCardlessClient,
    GoCardlessError,
    RateLimited,
    ReauthorisationRequired,
)
from orchestration.gocardless import normalize
from orchestration.resources import DatabaseResource, GoCardlessResource, SyncScope

GROUP = "gocardless"
_T = TypeVar("_T")
_RETRY_PAUSE_SECONDS = 1.0
_MAX_RATE_LIMIT_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Problem:
    """Why a connection could not be synced, in words its owner can act on."""

    message: str
    reauthorise: bool = False
    detail: str | None = None


@dataclass
class AccountData:
    account_id: uuid.UUID
    gocardless_account_id: str
    details: AccountDetails | None = None
    balances: list[BalanceRecord] | None = None
    booked: list[TransactionRecord] | None = None
    pending: list[TransactionRecord] | None = None
    quotas: list[QuotaObservation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class ConnectionData:
    connection_id: uuid.UUID
    institution_name: str
    accounts: list[AccountData] = field(default_factory=list)
    problem: Problem | None = None
    skipped: str | None = None
    calls: int = 0

    @property
    def complete(self) -> bool:
        return self.problem is None and self.skipped is None


@dataclass
class Extraction:
    scoped: bool
    connections: list[ConnectionData] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    connection_id: uuid.UUID
    institution_name: str
    access_expires_at: datetime | None
    accounts: list[tuple[uuid.UUID, str]]
    quotas: dict[tuple[uuid.UUID, str], AccountQuota]


class _StopConnection(Exception):
    """No further call for this connection can succeed (access gone, bank down)."""


@asset(
    group_name=GROUP,
    description=(
        "Account details (when missing), balances and transactions from GoCardless for the "
        "connections in scope: one connection when sync_scope.connection_id is set, else "
        "every active one. Spends the bank's daily per-account quota sparingly."
    ),
)
def gocardless_extraction(
    context: AssetExecutionContext,
    sync_scope: SyncScope,
    gocardless: GoCardlessResource,
    database: DatabaseResource,
) -> Extraction:
    settings = get_settings()
    scoped_id = sync_scope.connection_uuid()
    extraction = Extraction(scoped=scoped_id is not None)
    for plan in _plans(database, scoped_id):
        if not database.acquire_sync_lock(plan.connection_id, wait=extraction.scoped):
            if extraction.scoped:
                raise Failure(
                    description="Another sync of this connection is still running; "
                    "try again in a few minutes",
                    allow_retries=False,
                )
            extraction.connections.append(
                ConnectionData(
                    plan.connection_id,
                    plan.institution_name,
                    skipped="another sync of this connection is running",
                )
            )
            continue
        data = _extract_connection(gocardless.client, plan, settings, full=not extraction.scoped)
        extraction.connections.append(data)
        context.log.info(
            "connection %s (%s): %d bank calls, %s",
            data.connection_id,
            data.institution_name,
            data.calls,
            data.problem.message if data.problem else data.skipped or "ok",
        )
    context.add_output_metadata(
        {
            "scoped": extraction.scoped,
            "connections": len(extraction.connections),
            "bank_calls": sum(c.calls for c in extraction.connections),
            "problems": MetadataValue.json(
                {
                    str(c.connection_id): c.problem.message
                    for c in extraction.connections
                    if c.problem
                }
            ),
            "skipped": MetadataValue.json(
                {
                    str(c.connection_id): c.skipped
                    or "; ".join(s for a in c.accounts for s in a.skipped)
                    for c in extraction.connections
                    if c.skipped or any(a.skipped for a in c.accounts)
                }
            ),
        }
    )
    return extraction


def _plans(database: DatabaseResource, scoped_id: uuid.UUID | None) -> list[_Plan]:
    with database.session() as session:
        if scoped_id is not None:
            connection = connections_repo.get_connection(session, scoped_id)
            if connection is None:
                raise Failure(description="Connection not found", allow_retries=False)
            if connection.status is not ConnectionStatus.ACTIVE:
                raise Failure(description=_not_active_message(connection), allow_retries=False)
            in_scope = [connection]
        else:
            in_scope = connections_repo.list_connections_with_status(
                session, ConnectionStatus.ACTIVE
            )
        accounts = accounts_repo.list_accounts_for_connections(session, [c.id for c in in_scope])
        quotas = accounts_repo.get_quotas(session, [a.id for a in accounts])
        return [
            _Plan(
                connection_id=connection.id,
                institution_name=connection.institution_name,
                access_expires_at=connection.access_expires_at,
                accounts=[
                    (a.id, a.gocardless_account_id)
                    for a in accounts
                    if a.connection_id == connection.id
                ],
                quotas=quotas,
            )
            for connection in in_scope
        ]


def _not_active_message(connection: Connection) -> str:
    if connection.status is ConnectionStatus.PENDING:
        return "The bank link is not complete yet; finish connecting the bank first"
    reason = connection.status_reason or "Bank access expired; reconnect the bank"
    return f"This connection is {connection.status.value}: {reason}"


def _extract_connection(
    client: GoCardlessClient, plan: _Plan, settings: Settings, *, full: bool
) -> ConnectionData:
    data = ConnectionData(plan.connection_id, plan.institution_name)
    now = utcnow()
    if plan.access_expires_at is not None and plan.access_expires_at <= now:
        data.problem = Problem(AgreementExpired().user_message, reauthorise=True)
        return data
    try:
        for account_id, bank_id in plan.accounts:
            account = AccountData(account_id, bank_id)
            data.accounts.append(account)
            _extract_account(client, plan, settings, data, account, full=full)
    except _StopConnection:
        pass
    return data


def _extract_account(
    client: GoCardlessClient,
    plan: _Plan,
    settings: Settings,
    data: ConnectionData,
    account: AccountData,
    *,
    full: bool,
) -> None:
    bank_id = account.gocardless_account_id

    details_quota = plan.quotas.get((account.account_id, "details"))
    if _details_due(details_quota, settings) and _allowed(
        account, "details", details_quota, settings, full=full, required=False
    ):
        details = _call(
            client,
            data,
            account,
            "details",
            lambda: client.get_account_details(bank_id),
            optional=True,
        )
        if details is not None:
            account.details = normalize.account_details(details)

    balances_quota = plan.quotas.get((account.account_id, "balances"))
    if _allowed(account, "balances", balances_quota, settings, full=full, data=data):
        balances = _call(
            client, data, account, "balances", lambda: client.get_account_balances(bank_id)
        )
        if balances is not None:
            account.balances = normalize.balances(balances)

    transactions_quota = plan.quotas.get((account.account_id, "transactions"))
    if _allowed(account, "transactions", transactions_quota, settings, full=full, data=data):
        date_from = None
        if transactions_quota is not None and transactions_quota.last_success_at is not None:
            date_from = transactions_quota.last_success_at.date() - timedelta(
                days=settings.gocardless_transactions_overlap_days
            )
        transactions = _call(
            client,
            data,
            account,
            "transactions",
            lambda: client.get_account_transactions(bank_id, date_from=date_from),
        )
        if transactions is not None:
            account.booked = normalize.booked_transactions(transactions.transactions.booked)
            account.pending = normalize.pending_transactions(transactions.transactions.pending)


def _details_due(quota: AccountQuota | None, settings: Settings) -> bool:
    if quota is None or quota.last_success_at is None:
        return True
    age = utcnow() - quota.last_success_at
    return age >= timedelta(days=settings.gocardless_details_refresh_days)


def _allowed(
    account: AccountData,
    scope: AccountScope,
    quota: AccountQuota | None,
    settings: Settings,
    *,
    full: bool,
    required: bool = True,
    data: ConnectionData | None = None,
) -> bool:
    """Whether to spend a call of ``scope``'s daily quota now; records why not."""
    if quota is None:
        return True
    now = utcnow()
    resets_later = quota.reset_at is not None and quota.reset_at > now
    remaining = quota.remaining
    if full:
        min_age = timedelta(hours=settings.gocardless_daily_sync_min_age_hours)
        if quota.last_success_at is not None and now - quota.last_success_at < min_age:
            account.skipped.append(f"{scope}: synced less than {min_age} ago")
            return False
        reserve = settings.gocardless_daily_sync_quota_reserve
        if remaining is not None and resets_later and remaining <= reserve:
            account.skipped.append(f"{scope}: {remaining} calls left, kept for Refresh")
            return False
        return True
    if remaining is not None and remaining <= 0 and resets_later and quota.reset_at is not None:
        if not required:
            account.skipped.append(f"{scope}: daily quota used up")
            return False
        error = RateLimited(retry_at=quota.reset_at, source="account", scope=scope)
        if data is not None and data.problem is None:
            data.problem = Problem(error.user_message, detail="daily quota used up (as last seen)")
        account.skipped.append(f"{scope}: daily quota used up")
        return False
    return True


def _call(
    client: GoCardlessClient,
    data: ConnectionData,
    account: AccountData,
    scope: AccountScope,
    fetch: Callable[[], _T],
    *,
    optional: bool = False,
) -> _T | None:
    """One account-data call with the quota it reports; a transient failure is tried once
    more. Returns None when the scope failed (an ``optional`` scope's daily limit is only
    noted); raises _StopConnection when the connection cannot be synced at all."""
    for attempt in (1, 2):
        data.calls += 1
        try:
            result = fetch()
        except RateLimited as exc:
            if attempt == 1 and exc.source == "general" and _wait_until(exc.retry_at):
                continue
            if exc.source == "account":
                account.quotas.append(
                    QuotaObservation(scope, None, 0, exc.retry_at, success_at=None)
                )
                if optional:
                    account.skipped.append(f"{scope}: daily quota used up")
                    return None
            _note(data, Problem(exc.user_message, detail=str(exc)))
            if exc.source == "institution":
                raise _StopConnection from exc
            return None
        except ReauthorisationRequired as exc:
            data.problem = Problem(exc.user_message, reauthorise=True, detail=str(exc))
            raise _StopConnection from exc
        except BankUnavailable as exc:
            if attempt == 1:
                time.sleep(_RETRY_PAUSE_SECONDS)
                continue
            _note(data, Problem(exc.user_message, detail=str(exc)))
            raise _StopConnection from exc
        except GoCardlessError as exc:
            _note(data, Problem(exc.user_message, detail=str(exc)))
            if exc.status_code is None or exc.status_code >= 500 or exc.status_code == 401:
                raise _StopConnection from exc
            return None
        quota = getattr(result, "quota", None)
        observed = utcnow()
        account.quotas.append(
            QuotaObservation(
                scope,
                quota.limit if quota is not None else None,
                quota.remaining if quota is not None else None,
                quota.reset_at if quota is not None else None,
                success_at=quota.observed_at if quota is not None else observed,
            )
        )
        return result
    return None


def _note(data: ConnectionData, problem: Problem) -> None:
    if data.problem is None:
        data.problem = problem


def _wait_until(retry_at: datetime) -> bool:
    wait = (retry_at - utcnow()).total_seconds()
    if wait > _MAX_RATE_LIMIT_WAIT_SECONDS:
        return False
    time.sleep(max(wait, 0.0))
    return True
