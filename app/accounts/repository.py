"""All SQL on ``accounts``, ``balances``, ``transactions`` and ``account_quotas``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.accounts.models import Account, AccountQuota, Balance, Transaction
from app.connections.models import Connection
from app.db import utcnow
from app.enums import TransactionStatus

_CHUNK = 1000


@dataclass(frozen=True)
class LinkedAccount:
    """An account the bank shared on a requisition, as its metadata call describes it."""

    gocardless_account_id: str
    iban: str | None = None
    owner_name: str | None = None


@dataclass(frozen=True)
class AccountDetails:
    iban: str | None
    name: str | None
    currency: str | None
    owner_name: str | None


@dataclass(frozen=True)
class BalanceRecord:
    balance_type: str
    amount: Decimal
    currency: str
    reference_date: date | None


@dataclass(frozen=True)
class TransactionRecord:
    bank_transaction_id: str
    status: TransactionStatus
    amount: Decimal
    currency: str
    booking_date: date | None
    value_date: date | None
    description: str | None
    counterparty: str | None


@dataclass(frozen=True)
class QuotaObservation:
    scope: str
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    success_at: datetime | None


# --- accounts ------------------------------------------------------------------------------


def get_account_for_user(
    session: Session, account_id: uuid.UUID, user_id: uuid.UUID
) -> Account | None:
    """The account if it belongs to one of ``user_id``'s connections; others' look missing."""
    return session.execute(
        select(Account)
        .join(Connection, Connection.id == Account.connection_id)
        .where(Account.id == account_id, Connection.user_id == user_id)
    ).scalar_one_or_none()


def list_accounts_for_connections(
    session: Session, connection_ids: Sequence[uuid.UUID]
) -> list[Account]:
    if not connection_ids:
        return []
    return list(
        session.execute(
            select(Account)
            .where(Account.connection_id.in_(connection_ids))
            .order_by(Account.connection_id, Account.created_at, Account.id)
        ).scalars()
    )


def link_accounts(
    session: Session, connection_id: uuid.UUID, linked: Sequence[LinkedAccount]
) -> list[Account]:
    """Make the connection's accounts match what the bank shared on its requisition.

    A known bank account id is kept; an account the connection already had under another
    bank id (a reconnect hands out new ids) is recognised by its IBAN and keeps its history,
    with its quota as last seen dropped since the quota belongs to the old id; anything
    else becomes a new account. Accounts the bank no longer shares are left as they are.
    """
    existing = list(
        session.execute(select(Account).where(Account.connection_id == connection_id)).scalars()
    )
    by_bank_id = {account.gocardless_account_id: account for account in existing}
    by_iban = {account.iban: account for account in existing if account.iban}
    result: list[Account] = []
    for item in linked:
        account = by_bank_id.get(item.gocardless_account_id)
        if account is None and item.iban is not None:
            account = by_iban.get(item.iban)
            if account is not None and account.gocardless_account_id in {
                other.gocardless_account_id for other in linked
            }:
                account = None
            if account is not None:
                session.execute(delete(AccountQuota).where(AccountQuota.account_id == account.id))
                account.gocardless_account_id = item.gocardless_account_id
        if account is None:
            account = Account(
                connection_id=connection_id, gocardless_account_id=item.gocardless_account_id
            )
            session.add(account)
            by_bank_id[item.gocardless_account_id] = account
        if item.iban is not None:
            account.iban = item.iban
        if item.owner_name is not None:
            account.owner_name = item.owner_name
        result.append(account)
    session.flush()
    return result


def update_account_details(session: Session, account: Account, details: AccountDetails) -> bool:
    """Store the bank's details, keeping what it left out; True when something changed."""
    changed = False
    for field in ("iban", "name", "currency", "owner_name"):
        value = getattr(details, field)
        if value is not None and getattr(account, field) != value:
            setattr(account, field, value)
            changed = True
    if changed:
        session.flush()
    return changed


# --- balances ------------------------------------------------------------------------------


def upsert_balances(
    session: Session, account_id: uuid.UUID, balances: Sequence[BalanceRecord]
) -> int:
    """Insert or update one row per balance type; returns how many rows changed."""
    latest = {balance.balance_type: balance for balance in balances}
    if not latest:
        return 0
    statement = insert(Balance).values(
        [
            {
                "id": uuid.uuid4(),
                "account_id": account_id,
                "balance_type": balance.balance_type,
                "amount": balance.amount,
                "currency": balance.currency,
                "reference_date": balance.reference_date,
                "updated_at": utcnow(),
            }
            for balance in latest.values()
        ]
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[Balance.account_id, Balance.balance_type],
        set_={
            "amount": excluded.amount,
            "currency": excluded.currency,
            "reference_date": excluded.reference_date,
            "updated_at": excluded.updated_at,
        },
        where=_differs(
            (Balance.amount, excluded.amount),
            (Balance.currency, excluded.currency),
            (Balance.reference_date, excluded.reference_date),
        ),
    )
    return len(session.execute(statement.returning(Balance.id)).all())


# --- transactions --------------------------------------------------------------------------


def upsert_transactions(
    session: Session, account_id: uuid.UUID, records: Iterable[TransactionRecord]
) -> int:
    """Insert new transactions and update changed ones by (account, bank id); returns changes."""
    unique = {record.bank_transaction_id: record for record in records}
    rows = list(unique.values())
    changed = 0
    now = utcnow()
    for start in range(0, len(rows), _CHUNK):
        statement = insert(Transaction).values(
            [
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "bank_transaction_id": record.bank_transaction_id,
                    "status": record.status,
                    "amount": record.amount,
                    "currency": record.currency,
                    "booking_date": record.booking_date,
                    "value_date": record.value_date,
                    "description": record.description,
                    "counterparty": record.counterparty,
                    "created_at": now,
                    "updated_at": now,
                }
                for record in rows[start : start + _CHUNK]
            ]
        )
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[Transaction.account_id, Transaction.bank_transaction_id],
            set_={
                "status": excluded.status,
                "amount": excluded.amount,
                "currency": excluded.currency,
                "booking_date": excluded.booking_date,
                "value_date": excluded.value_date,
                "description": excluded.description,
                "counterparty": excluded.counterparty,
                "updated_at": excluded.updated_at,
            },
            where=_differs(
                (Transaction.status, excluded.status),
                (Transaction.amount, excluded.amount),
                (Transaction.currency, excluded.currency),
                (Transaction.booking_date, excluded.booking_date),
                (Transaction.value_date, excluded.value_date),
                (Transaction.description, excluded.description),
                (Transaction.counterparty, excluded.counterparty),
            ),
        )
        changed += len(session.execute(statement.returning(Transaction.id)).all())
    return changed


def delete_pending_transactions_except(
    session: Session, account_id: uuid.UUID, keep: Iterable[str]
) -> int:
    """Drop the account's pending transactions the bank no longer reports as pending."""
    kept = list(set(keep))
    query = delete(Transaction).where(
        Transaction.account_id == account_id, Transaction.status == TransactionStatus.PENDING
    )
    if kept:
        query = query.where(Transaction.bank_transaction_id.not_in(kept))
    return len(session.execute(query.returning(Transaction.id)).all())


def list_transactions(
    session: Session, account_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Transaction], int]:
    """One page of the account's transactions, pending first, then newest first."""
    total = session.execute(
        select(func.count()).select_from(Transaction).where(Transaction.account_id == account_id)
    ).scalar_one()
    page = session.execute(
        select(Transaction)
        .where(Transaction.account_id == account_id)
        .order_by(
            (Transaction.status == TransactionStatus.PENDING).desc(),
            func.coalesce(Transaction.booking_date, Transaction.value_date).desc().nulls_first(),
            Transaction.created_at.desc(),
            Transaction.bank_transaction_id.desc(),
        )
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(page), total


# --- quota ---------------------------------------------------------------------------------


def record_quota(session: Session, account_id: uuid.UUID, observation: QuotaObservation) -> None:
    """Remember what the bank said about the quota; a success also moves last_success_at."""
    values: dict[str, Any] = {
        "account_id": account_id,
        "scope": observation.scope,
        "limit": observation.limit,
        "remaining": observation.remaining,
        "reset_at": observation.reset_at,
        "last_success_at": observation.success_at,
        "updated_at": utcnow(),
    }
    statement = insert(AccountQuota).values(values)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[AccountQuota.account_id, AccountQuota.scope],
        set_={
            "limit": func.coalesce(excluded.limit, AccountQuota.limit),
            "remaining": func.coalesce(excluded.remaining, AccountQuota.remaining),
            "reset_at": func.coalesce(excluded.reset_at, AccountQuota.reset_at),
            "last_success_at": func.coalesce(
                excluded.last_success_at, AccountQuota.last_success_at
            ),
            "updated_at": excluded.updated_at,
        },
    )
    session.execute(statement)


def get_quotas(
    session: Session, account_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], AccountQuota]:
    if not account_ids:
        return {}
    rows = session.execute(
        select(AccountQuota).where(AccountQuota.account_id.in_(account_ids))
    ).scalars()
    return {(row.account_id, row.scope): row for row in rows}


def get_quotas_by_connection(
    session: Session, connection_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AccountQuota]]:
    if not connection_ids:
        return {}
    rows = session.execute(
        select(Account.connection_id, AccountQuota)
        .join(AccountQuota, AccountQuota.account_id == Account.id)
        .where(Account.connection_id.in_(connection_ids))
    ).all()
    result: dict[uuid.UUID, list[AccountQuota]] = {}
    for connection_id, quota in rows:
        result.setdefault(connection_id, []).append(quota)
    return result


def _differs(*pairs: tuple[Any, Any]) -> ColumnElement[bool]:
    return or_(*(column.is_distinct_from(new) for column, new in pairs))
