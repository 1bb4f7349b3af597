"""GoCardless payloads turned into the rows the app stores."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable

from app.accounts.repository import AccountDetails, BalanceRecord, TransactionRecord
from app.enums import TransactionStatus
from app.providers.gocardless import AccountBalances, Transaction
from app.providers.gocardless import AccountDetails as BankAccountDetails

PENDING_PREFIX = "pending:"
_HASH_PREFIX = "h:"
_MAX_ID = 200
_MAX_PARTY = 255


def account_details(payload: BankAccountDetails) -> AccountDetails:
    account = payload.account
    return AccountDetails(
        iban=account.iban or account.bban,
        name=_clip(account.name or account.display_name or account.product, _MAX_PARTY),
        currency=account.currency,
        owner_name=_clip(account.owner_name, _MAX_PARTY),
    )


def balances(payload: AccountBalances) -> list[BalanceRecord]:
    return [
        BalanceRecord(
            balance_type=balance.balance_type,
            amount=balance.balance_amount.amount,
            currency=balance.balance_amount.currency,
            reference_date=balance.reference_date,
        )
        for balance in payload.balances
    ]


def booked_transactions(items: Iterable[Transaction]) -> list[TransactionRecord]:
    """Booked items keyed by transactionId, else internalTransactionId, else a content hash."""
    return _records(items, TransactionStatus.BOOKED)


def pending_transactions(items: Iterable[Transaction]) -> list[TransactionRecord]:
    """Pending items, keyed apart from booked ones so a booking replaces them cleanly."""
    return _records(items, TransactionStatus.PENDING)


def _records(items: Iterable[Transaction], status: TransactionStatus) -> list[TransactionRecord]:
    seen: Counter[str] = Counter()
    records: list[TransactionRecord] = []
    for item in items:
        bank_id = item.transaction_id or item.internal_transaction_id
        if bank_id is None or len(bank_id) > _MAX_ID:
            content = _content_hash(item)
            seen[content] += 1
            bank_id = f"{_HASH_PREFIX}{content}:{seen[content]}"
        if status is TransactionStatus.PENDING:
            bank_id = PENDING_PREFIX + bank_id
        records.append(
            TransactionRecord(
                bank_transaction_id=bank_id,
                status=status,
                amount=item.transaction_amount.amount,
                currency=item.transaction_amount.currency,
                booking_date=item.booking_date
                or (item.booking_date_time.date() if item.booking_date_time else None),
                value_date=item.value_date
                or (item.value_date_time.date() if item.value_date_time else None),
                description=_description(item),
                counterparty=_counterparty(item),
            )
        )
    return records


def _content_hash(item: Transaction) -> str:
    """A stable id for an item without one: what the bank says about it, in a fixed order.

    Identical items on one day (two coffees at the same price) are told apart by the order
    of appearance, which the caller appends.
    """
    fields = item.model_dump(mode="json", exclude_none=True)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:40]


def _description(item: Transaction) -> str | None:
    if item.remittance_information_unstructured:
        return item.remittance_information_unstructured
    if item.remittance_information_unstructured_array:
        return " ".join(item.remittance_information_unstructured_array)
    return item.remittance_information_structured or item.additional_information


def _counterparty(item: Transaction) -> str | None:
    if item.transaction_amount.amount < 0:
        party = item.creditor_name or item.debtor_name
    else:
        party = item.debtor_name or item.creditor_name
    return _clip(party, _MAX_PARTY)


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else value
