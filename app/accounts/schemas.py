from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.enums import TransactionStatus


class TransactionOut(BaseModel):
    id: uuid.UUID
    bank_transaction_id: str | None = Field(
        description="The bank's id; null for pending items and items the bank gave no id"
    )
    status: TransactionStatus
    amount: str = Field(examples=["-45.00"])
    currency: str
    booking_date: date | None
    value_date: date | None
    description: str | None
    counterparty: str | None


class TransactionPageOut(BaseModel):
    transactions: list[TransactionOut]
    total: int
    limit: int
    offset: int
