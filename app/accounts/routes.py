from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts import repository
from app.accounts.models import Transaction
from app.accounts.schemas import TransactionOut, TransactionPageOut
from app.auth.dependencies import CurrentUser
from app.db import DbSession
from app.enums import TransactionStatus
from app.errors import NotFoundError

router = APIRouter(prefix="/api/accounts", tags=["accounts"])

_SYNTHETIC_ID_PREFIXES = ("pending:", "h:")


@router.get("/{account_id}/transactions", response_model=TransactionPageOut)
def list_transactions(
    account_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TransactionPageOut:
    """The account's transactions, pending first, then newest first."""
    account = repository.get_account_for_user(session, account_id, user.id)
    if account is None:
        raise NotFoundError("Account not found")
    transactions, total = repository.list_transactions(session, account.id, limit, offset)
    return TransactionPageOut(
        transactions=[_out(t) for t in transactions], total=total, limit=limit, offset=offset
    )


def _out(transaction: Transaction) -> TransactionOut:
    bank_id = transaction.bank_transaction_id
    if (
        transaction.status is TransactionStatus.PENDING
        or bank_id is None
        or bank_id.startswith(_SYNTHETIC_ID_PREFIXES)
    ):
        bank_id = None
    return TransactionOut(
        id=transaction.id,
        bank_transaction_id=bank_id,
        status=transaction.status,
        amount=f"{transaction.amount:.2f}",
        currency=transaction.currency,
        booking_date=transaction.booking_date,
        value_date=transaction.value_date,
        description=transaction.description,
        counterparty=transaction.counterparty,
    )
