"""Typed answers of the GoCardless Bank Account Data API v2 (amounts as Decimal, dates as date)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

AccountScope = Literal["details", "balances", "transactions"]
ALL_SCOPES: tuple[AccountScope, ...] = ("balances", "details", "transactions")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _CamelModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
    )


class TokenPair(_Model):
    access: str
    access_expires: int
    refresh: str
    refresh_expires: int


class AccessToken(_Model):
    access: str
    access_expires: int


class Institution(_Model):
    id: str
    name: str
    bic: str | None = None
    transaction_total_days: int = 90
    countries: list[str] = Field(default_factory=list)
    logo: str | None = None
    max_access_valid_for_days: int | None = None


class Agreement(_Model):
    id: str
    created: datetime | None = None
    institution_id: str
    max_historical_days: int
    access_valid_for_days: int
    access_scope: list[str] = Field(default_factory=list)
    accepted: datetime | None = None


class RequisitionStatus(StrEnum):
    CREATED = "CR"
    GIVING_CONSENT = "GC"
    UNDERGOING_AUTHENTICATION = "UA"
    REJECTED = "RJ"
    SELECTING_ACCOUNTS = "SA"
    GRANTING_ACCESS = "GA"
    LINKED = "LN"
    EXPIRED = "EX"

    @property
    def is_linked(self) -> bool:
        return self is RequisitionStatus.LINKED

    @property
    def is_failed(self) -> bool:
        """The link will never become usable: rejected or expired (start a new requisition)."""
        return self in (RequisitionStatus.REJECTED, RequisitionStatus.EXPIRED)

    @property
    def is_pending(self) -> bool:
        """Not linked yet but may still become linked (UA can last days): check again later."""
        return not (self.is_linked or self.is_failed)


class Requisition(_Model):
    id: str
    created: datetime | None = None
    redirect: str | None = None
    status: RequisitionStatus
    institution_id: str
    agreement: str | None = None
    reference: str | None = None
    accounts: list[str] = Field(default_factory=list)
    user_language: str | None = None
    link: str


class RequisitionPage(_Model):
    count: int
    next: str | None = None
    previous: str | None = None
    results: list[Requisition] = Field(default_factory=list)


class Account(_Model):
    """Account metadata (`accounts/{id}/`); does not count against the daily quota."""

    id: str
    created: datetime | None = None
    last_accessed: datetime | None = None
    iban: str | None = None
    institution_id: str | None = None
    status: str
    owner_name: str | None = None


class AccountQuota(_Model):
    """The per-account, per-scope daily quota as the last successful call reported it."""

    scope: AccountScope
    limit: int
    remaining: int
    reset_seconds: int
    observed_at: datetime

    @property
    def reset_at(self) -> datetime:
        return self.observed_at + timedelta(seconds=self.reset_seconds)

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0 and self.reset_at > datetime.now(UTC)


class AccountDetail(_CamelModel):
    resource_id: str | None = None
    iban: str | None = None
    bban: str | None = None
    currency: str | None = None
    owner_name: str | None = None
    name: str | None = None
    display_name: str | None = None
    product: str | None = None
    cash_account_type: str | None = None


class AccountDetails(_CamelModel):
    account: AccountDetail
    quota: AccountQuota | None = Field(default=None, exclude=True)


class Amount(_CamelModel):
    amount: Decimal
    currency: str


class Balance(_CamelModel):
    balance_amount: Amount
    balance_type: str
    reference_date: date | None = None
    credit_limit_included: bool | None = None
    last_change_date_time: datetime | None = None


class AccountBalances(_CamelModel):
    balances: list[Balance] = Field(default_factory=list)
    quota: AccountQuota | None = Field(default=None, exclude=True)


class AccountReference(_CamelModel):
    iban: str | None = None
    bban: str | None = None
    currency: str | None = None


class Transaction(_CamelModel):
    """A booked or pending item; pending items usually have no `transaction_id`."""

    transaction_id: str | None = None
    internal_transaction_id: str | None = None
    entry_reference: str | None = None
    booking_date: date | None = None
    booking_date_time: datetime | None = None
    value_date: date | None = None
    value_date_time: datetime | None = None
    transaction_amount: Amount
    creditor_name: str | None = None
    creditor_account: AccountReference | None = None
    debtor_name: str | None = None
    debtor_account: AccountReference | None = None
    remittance_information_unstructured: str | None = None
    remittance_information_unstructured_array: list[str] | None = None
    remittance_information_structured: str | None = None
    bank_transaction_code: str | None = None
    proprietary_bank_transaction_code: str | None = None
    additional_information: str | None = None


class TransactionLists(_CamelModel):
    booked: list[Transaction] = Field(default_factory=list)
    pending: list[Transaction] = Field(default_factory=list)


class AccountTransactions(_CamelModel):
    transactions: TransactionLists
    quota: AccountQuota | None = Field(default=None, exclude=True)
