from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.enums import ConnectionStatus
from app.jobs.schemas import JobResponse


class ConnectOutcome(StrEnum):
    CONNECTED = "connected"
    PENDING = "pending"
    FAILED = "failed"
    EXPIRED = "expired"


class BalanceOut(BaseModel):
    balance_type: str
    amount: str = Field(examples=["1913.12"])
    currency: str
    reference_date: date | None


class AccountOut(BaseModel):
    id: uuid.UUID
    iban: str | None
    name: str | None
    currency: str | None
    owner_name: str | None
    balances: list[BalanceOut]


class ConnectionOut(BaseModel):
    id: uuid.UUID
    institution_id: str
    institution_name: str
    status: ConnectionStatus
    status_reason: str | None
    access_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    accounts: list[AccountOut]
    latest_sync_job: JobResponse | None
    last_synced_at: datetime | None = Field(description="When a sync last completed successfully")
    remaining_daily_syncs: int | None = Field(
        description="Syncs the bank still allows today: the lowest remaining daily quota "
        "across the connection's accounts, as last reported; null before the first sync"
    )


class ConnectionListOut(BaseModel):
    connections: list[ConnectionOut]


class ConnectionLinkOut(BaseModel):
    connection: ConnectionOut
    link: str = Field(description="The bank's consent page; send the browser there")


class CreateConnectionIn(BaseModel):
    institution_id: str = Field(min_length=1, max_length=100, examples=["SANDBOXFINANCE_SFIN0000"])
