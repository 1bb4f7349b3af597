"""The emulator's in-memory state, guarded by one lock, optionally persisted to a JSON file."""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

log = logging.getLogger(__name__)

ACCESS_TOKEN_SECONDS = 86_400
REFRESH_TOKEN_SECONDS = 2_592_000
QUOTA_WINDOW_SECONDS = 86_400
GENERAL_WINDOW_SECONDS = 60
CALL_LOG_SIZE = 10_000

Scope = Literal["details", "balances", "transactions"]
SCOPES: tuple[Scope, ...] = ("details", "balances", "transactions")


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RequisitionStatus(StrEnum):
    CREATED = "CR"
    GIVING_CONSENT = "GC"
    UNDERGOING_AUTHENTICATION = "UA"
    REJECTED = "RJ"
    SELECTING_ACCOUNTS = "SA"
    GRANTING_ACCESS = "GA"
    LINKED = "LN"
    EXPIRED = "EX"


class FaultMode(StrEnum):
    RATE_LIMIT = "rate_limit"
    AGREEMENT_EXPIRED = "agreement_expired"
    ACCESS_REVOKED = "access_revoked"
    BANK_DOWN = "bank_down"
    BANK_RATE_LIMIT = "bank_rate_limit"
    ACCOUNT_PROCESSING = "account_processing"
    ACCOUNT_SUSPENDED = "account_suspended"


# --- persisted records ----------------------------------------------------------------------


class Agreement(BaseModel):
    id: str
    created: datetime
    institution_id: str
    max_historical_days: int
    access_valid_for_days: int
    access_scope: list[str]
    accepted: datetime | None = None

    def expires_at(self) -> datetime | None:
        if self.accepted is None:
            return None
        return self.accepted + timedelta(days=self.access_valid_for_days)

    def is_expired(self, now: datetime) -> bool:
        expires = self.expires_at()
        return expires is not None and expires <= now

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": format_timestamp(self.created),
            "institution_id": self.institution_id,
            "max_historical_days": self.max_historical_days,
            "access_valid_for_days": self.access_valid_for_days,
            "access_scope": list(self.access_scope),
            "accepted": format_timestamp(self.accepted) if self.accepted else None,
        }


class Requisition(BaseModel):
    id: str
    created: datetime
    redirect: str
    status: RequisitionStatus
    institution_id: str
    agreement: str
    reference: str
    accounts: list[str] = Field(default_factory=list)
    user_language: str = "EN"
    link: str

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": format_timestamp(self.created),
            "redirect": self.redirect,
            "status": self.status.value,
            "institution_id": self.institution_id,
            "agreement": self.agreement,
            "reference": self.reference,
            "accounts": list(self.accounts),
            "user_language": self.user_language,
            "link": self.link,
            "ssn": None,
            "account_selection": False,
            "redirect_immediate": False,
        }


class Account(BaseModel):
    id: str
    created: datetime
    last_accessed: datetime | None = None
    requisition_id: str
    institution_id: str
    iban: str
    currency: str
    owner_name: str
    name: str
    product: str
    cash_account_type: str
    resource_id: str


class PersistedState(BaseModel):
    agreements: dict[str, Agreement] = Field(default_factory=dict)
    requisitions: dict[str, Requisition] = Field(default_factory=dict)
    accounts: dict[str, Account] = Field(default_factory=dict)
    # "<account id>:<scope>" -> epoch seconds of the successful calls in the rolling window.
    quota: dict[str, list[float]] = Field(default_factory=dict)


# --- switches set over the control API ------------------------------------------------------


class Faults(BaseModel):
    mode: FaultMode | None = None
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    account_ids: list[str] | None = None
    scopes: list[Scope] | None = None
    times: int | None = Field(default=None, ge=1)
    reset_seconds: int | None = Field(default=None, ge=0)
    consent_outcome: Literal["LN", "UA", "RJ"] = "LN"

    def applies_to(self, account_id: str, scope: Scope) -> bool:
        if self.mode is None:
            return False
        if self.account_ids is not None and account_id not in self.account_ids:
            return False
        return self.scopes is None or scope in self.scopes


class Limits(BaseModel):
    account_success_per_day: int = Field(default=4, ge=0)
    accounts_per_minute: int = Field(default=100, ge=0)
    institutions_per_minute: int = Field(default=300, ge=0)
    create_per_minute: int = Field(default=100, ge=0)
    other_per_minute: int = Field(default=300, ge=0)
    enforce_general: bool = True


class TokenLifetimes(BaseModel):
    access_seconds: int = ACCESS_TOKEN_SECONDS
    refresh_seconds: int = REFRESH_TOKEN_SECONDS


class CallRecord(BaseModel):
    method: str
    path: str
    query: str
    status: int
    account_id: str | None
    requisition_id: str | None
    time: str


class QuotaState(BaseModel):
    limit: int
    used: int
    remaining: int
    reset_seconds: int


# --- the store ------------------------------------------------------------------------------


class Store:
    """All emulator state. Hold `lock` to read or change anything."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.data = PersistedState()
        self.faults = Faults()
        self.limits = Limits()
        self.lifetimes = TokenLifetimes()
        self.token_generation = 0
        self.calls: deque[CallRecord] = deque(maxlen=CALL_LOG_SIZE)
        self._general_windows: dict[str, tuple[float, int]] = {}
        self._load()

    # persistence

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            self.data = PersistedState.model_validate_json(self.state_file.read_text("utf-8"))
        except (OSError, ValidationError, json.JSONDecodeError):
            log.exception("could not read %s; starting with empty state", self.state_file)

    def save(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            payload = self.data.model_dump_json(indent=1)
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            tmp.write_text(payload, "utf-8")
            os.replace(tmp, self.state_file)

    @contextmanager
    def mutate(self) -> Iterator[PersistedState]:
        """Change persisted state under the lock; saved when the block ends without error."""
        with self.lock:
            yield self.data
            self.save()

    def reset(self) -> None:
        with self.lock:
            self.data = PersistedState()
            self.faults = Faults()
            self.limits = Limits()
            self.lifetimes = TokenLifetimes()
            self.calls.clear()
            self._general_windows.clear()
            self.save()

    # faults

    def take_fault(self, account_id: str, scope: Scope) -> FaultMode | None:
        """The fault this account-data call must answer with, counting down `times`."""
        with self.lock:
            faults = self.faults
            if not faults.applies_to(account_id, scope):
                return None
            mode = faults.mode
            if faults.times is not None:
                faults.times -= 1
                if faults.times <= 0:
                    self.faults = faults.model_copy(update={"mode": None, "times": None})
            return mode

    # per-account, per-scope quota (rolling window of successful calls)

    def _window(self, account_id: str, scope: Scope, now: float) -> list[float]:
        key = f"{account_id}:{scope}"
        kept = [t for t in self.data.quota.get(key, []) if t > now - QUOTA_WINDOW_SECONDS]
        if kept:
            self.data.quota[key] = kept
        else:
            self.data.quota.pop(key, None)
        return kept

    def quota(self, account_id: str, scope: Scope, now: float | None = None) -> QuotaState:
        with self.lock:
            now = time.time() if now is None else now
            window = self._window(account_id, scope, now)
            limit = self.limits.account_success_per_day
            reset = (
                math.ceil(window[0] + QUOTA_WINDOW_SECONDS - now)
                if window
                else QUOTA_WINDOW_SECONDS
            )
            return QuotaState(
                limit=limit,
                used=len(window),
                remaining=max(limit - len(window), 0),
                reset_seconds=reset,
            )

    def record_success(self, account_id: str, scope: Scope, now: float | None = None) -> QuotaState:
        with self.lock:
            now = time.time() if now is None else now
            self._window(account_id, scope, now)
            self.data.quota.setdefault(f"{account_id}:{scope}", []).append(now)
            self.save()
            return self.quota(account_id, scope, now)

    def reset_quota(self, account_id: str | None = None, scope: Scope | None = None) -> None:
        with self.mutate() as data:
            for key in list(data.quota):
                key_account, key_scope = key.rsplit(":", 1)
                if account_id is not None and key_account != account_id:
                    continue
                if scope is not None and key_scope != scope:
                    continue
                del data.quota[key]

    # general per-minute limits (fixed windows)

    def general_limit(self, bucket: str) -> int:
        return int(getattr(self.limits, f"{bucket}_per_minute"))

    def take_general(self, bucket: str) -> tuple[int, int, int, bool]:
        """Count one request; returns (limit, remaining, reset seconds, allowed)."""
        with self.lock:
            now = time.monotonic()
            limit = self.general_limit(bucket)
            start, count = self._general_windows.get(bucket, (now, 0))
            if now - start >= GENERAL_WINDOW_SECONDS:
                start, count = now, 0
            reset = max(math.ceil(start + GENERAL_WINDOW_SECONDS - now), 1)
            if self.limits.enforce_general and count >= limit:
                self._general_windows[bucket] = (start, count)
                return limit, 0, reset, False
            count += 1
            self._general_windows[bucket] = (start, count)
            return limit, max(limit - count, 0), reset, True

    # call log

    def log_call(self, record: CallRecord) -> None:
        with self.lock:
            self.calls.append(record)

    def find_calls(
        self, account_id: str | None = None, requisition_id: str | None = None
    ) -> list[CallRecord]:
        with self.lock:
            return [
                c
                for c in self.calls
                if (account_id is None or c.account_id == account_id)
                and (requisition_id is None or c.requisition_id == requisition_id)
            ]


def state_file_from_env() -> Path | None:
    value = os.environ.get("EMULATOR_STATE_FILE")
    return Path(value) if value else None
