"""Static catalogue (institutions) and deterministic generated bank data."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

SANDBOX_INSTITUTION_ID = "SANDBOXFINANCE_SFIN0000"
HISTORY_DAYS = 90

# Country codes the real API accepts for `?country=`; XX is the sandbox's pseudo-country.
_EEA_AND_UK = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IS IE IT LV LI LT LU MT NL NO PL PT RO SK SI ES SE GB"
)
COUNTRY_CHOICES = frozenset((*_EEA_AND_UK.split(" "), "XX"))


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    bic: str
    countries: tuple[str, ...]
    transaction_total_days: int = 730
    max_access_valid_for_days: int = 180

    @property
    def logo(self) -> str:
        return f"https://cdn-logos.gocardless.com/ais/{self.id}.png"

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "bic": self.bic,
            "transaction_total_days": str(self.transaction_total_days),
            "countries": list(self.countries),
            "logo": self.logo,
            "max_access_valid_for_days": str(self.max_access_valid_for_days),
        }


INSTITUTIONS: tuple[Institution, ...] = (
    Institution(SANDBOX_INSTITUTION_ID, "Sandbox Finance", "SFIN0000", ("XX",), 90, 90),
    Institution("BARCLAYS_BUKBGB22", "Barclays Personal", "BUKBGB22", ("GB",), 730, 90),
    Institution("HSBC_HBUKGB4B", "HSBC Personal", "HBUKGB4B", ("GB",), 540, 90),
    Institution("MONZO_MONZGB2L", "Monzo", "MONZGB2L", ("GB",), 730, 90),
    Institution("NATWEST_NWBKGB2L", "NatWest", "NWBKGB2L", ("GB",), 730, 90),
    Institution("REVOLUT_REVOGB21", "Revolut", "REVOGB21", ("GB",), 730, 180),
    Institution("STARLING_SRLGGB3L", "Starling Bank", "SRLGGB3L", ("GB",), 540, 90),
    Institution("COMMERZBANK_COBADEFF", "Commerzbank", "COBADEFF", ("DE",), 365, 180),
    Institution("DEUTSCHE_BANK_DEUTDEFF", "Deutsche Bank", "DEUTDEFF", ("DE",), 540, 180),
    Institution("ING_INGDDEFF", "ING", "INGDDEFF", ("DE",), 730, 180),
    Institution("N26_NTSBDEB1", "N26 Bank", "NTSBDEB1", ("DE", "FR"), 730, 180),
    Institution("BNP_PARIBAS_BNPAFRPP", "BNP Paribas", "BNPAFRPP", ("FR",), 730, 180),
    Institution("BOURSORAMA_BOUSFRPP", "Boursorama", "BOUSFRPP", ("FR",), 90, 90),
    Institution("SOCIETE_GENERALE_SOGEFRPP", "Société Générale", "SOGEFRPP", ("FR",), 540, 180),
)

_BY_ID = {institution.id: institution for institution in INSTITUTIONS}


def get_institution(institution_id: str) -> Institution | None:
    return _BY_ID.get(institution_id)


def institutions_in(country: str | None) -> list[Institution]:
    if country is None:
        return list(INSTITUTIONS)
    return [i for i in INSTITUTIONS if country.upper() in i.countries]


@dataclass(frozen=True)
class AccountTemplate:
    """What a linked account looks like before it has an id."""

    iban: str
    currency: str
    owner_name: str
    name: str = "Main Account"
    product: str = "Checkings"
    cash_account_type: str = "CACC"

    @property
    def resource_id(self) -> str:
        return _digest(f"resource|{self.iban}")[:26].upper()


SANDBOX_ACCOUNTS: tuple[AccountTemplate, ...] = (
    AccountTemplate("GL3343697694912188", "EUR", "John Doe"),
    AccountTemplate("GL0865354374424724", "EUR", "Jane Doe"),
)

_OWNERS = ("Alex Morgan", "Sam Taylor", "Chris Lee", "Jordan Smith", "Robin Martin")
_BBAN_LENGTHS = {"DE": 18, "FR": 23}


def account_templates(institution_id: str) -> tuple[AccountTemplate, ...]:
    """The accounts a user of this institution shares on consent (deterministic)."""
    if institution_id == SANDBOX_INSTITUTION_ID:
        return SANDBOX_ACCOUNTS
    institution = _BY_ID[institution_id]
    country = institution.countries[0]
    currency = "GBP" if country == "GB" else "EUR"
    owner = _OWNERS[int(_digest(institution_id), 16) % len(_OWNERS)]
    current = AccountTemplate(
        _iban(country, institution.bic, f"{institution_id}|current"),
        currency,
        owner,
        name="Current Account",
        product="Current Account",
    )
    savings = AccountTemplate(
        _iban(country, institution.bic, f"{institution_id}|savings"),
        currency,
        owner,
        name="Savings Account",
        product="Instant Saver",
        cash_account_type="SVGS",
    )
    return current, savings


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _digits(seed: str, count: int) -> str:
    return str(int(_digest(seed), 16))[:count].rjust(count, "0")


def _iban(country: str, bic: str, seed: str) -> str:
    if country == "GB":
        bban = bic[:4] + _digits(seed + "|sort", 6) + _digits(seed + "|acct", 8)
    else:
        bban = _digits(seed, _BBAN_LENGTHS.get(country, 20))
    return with_check_digits(country, bban)


def with_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{country}{98 - number % 97:02d}{bban}"


# --- transactions -------------------------------------------------------------------------

_MERCHANTS: tuple[tuple[str, int, int], ...] = (
    ("Emporium Bakery", 300, 1800),
    ("Freshto Supermarket", 1200, 9500),
    ("Corner Coffee", 250, 700),
    ("City Transit", 180, 4500),
    ("Northwind Energy", 4500, 12000),
    ("Streamflix", 999, 1599),
    ("Bookworm Books", 700, 3500),
    ("Pharmacy Plus", 350, 2800),
    ("Hilltop Fuel", 3000, 8000),
    ("Tasty Thai Takeaway", 1400, 3900),
)
_PAYERS = ("MON MOTHMA", "Leia Organa", "Lando Calrissian", "Wedge Antilles")


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _transaction_id(iban: str, day: date, index: int) -> str:
    return f"{day:%Y%m%d}{_digits(iban, 8)}-{index}"


def _booked_for_day(iban: str, currency: str, day: date) -> list[dict[str, Any]]:
    rng = random.Random(f"{iban}|{day.isoformat()}")
    items: list[tuple[str, int, str, str | None]] = []
    if day.day == 25:
        items.append(("credit", 250_000 + rng.randrange(0, 50_000), "ACME Payroll Ltd", "Salary"))
    if day.day == 1:
        items.append(("debit", 95_000, "Harbour Lettings", "Rent"))
    count = rng.choices((0, 1, 2), weights=(6, 3, 1))[0]
    for _ in range(count):
        if rng.random() < 0.1:
            payer = rng.choice(_PAYERS)
            items.append(("credit", rng.randrange(1000, 9000), payer, "Transfer"))
        else:
            merchant, low, high = rng.choice(_MERCHANTS)
            items.append(("debit", rng.randrange(low, high), merchant, None))

    booked: list[dict[str, Any]] = []
    for index, (direction, cents, party, memo) in enumerate(items, start=1):
        hour, minute, second = rng.randrange(7, 22), rng.randrange(60), rng.randrange(60)
        item: dict[str, Any] = {
            "transactionId": _transaction_id(iban, day, index),
            "internalTransactionId": _digest(f"internal|{iban}|{day}|{index}")[:32],
            "bookingDate": day.isoformat(),
            "valueDate": day.isoformat(),
            "bookingDateTime": f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}Z",
            "transactionAmount": {
                "currency": currency,
                "amount": _money(cents if direction == "credit" else -cents),
            },
            "bankTransactionCode": "PMNT",
        }
        if direction == "credit":
            item["debtorName"] = party
            item["debtorAccount"] = {"iban": with_check_digits("GB", "NWBK" + _digits(party, 14))}
            item["remittanceInformationUnstructured"] = f"{memo} {day:%B %Y}"
        else:
            item["creditorName"] = party
            item["remittanceInformationUnstructured"] = (
                f"{memo} {day:%B %Y}" if memo else f"PAYMENT {party}"
            )
        booked.append(item)
    return booked


def booked_transactions(
    iban: str,
    currency: str,
    today: date,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """Booked transactions of the last HISTORY_DAYS days, newest first.

    Each calendar day's transactions are seeded by (iban, day), so a transaction keeps its id
    and amount from one day to the next while the window moves forward.
    """
    first = today - timedelta(days=HISTORY_DAYS)
    last = today - timedelta(days=1)
    if date_from is not None:
        first = max(first, date_from)
    if date_to is not None:
        last = min(last, date_to)
    result: list[dict[str, Any]] = []
    day = last
    while day >= first:
        result.extend(reversed(_booked_for_day(iban, currency, day)))
        day -= timedelta(days=1)
    return result


def pending_transactions(
    iban: str,
    currency: str,
    today: date,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    rng = random.Random(f"{iban}|pending|{today.isoformat()}")
    pending: list[dict[str, Any]] = []
    for days_ago in (0, 1):
        day = today - timedelta(days=days_ago)
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        merchant, low, high = rng.choice(_MERCHANTS)
        pending.append(
            {
                "transactionAmount": {
                    "currency": currency,
                    "amount": _money(-rng.randrange(low, high)),
                },
                "valueDate": day.isoformat(),
                "creditorName": merchant,
                "remittanceInformationUnstructured": f"Reserved PAYMENT {merchant}",
            }
        )
    return pending


def balances(iban: str, currency: str, today: date) -> list[dict[str, Any]]:
    opening = 100_000 + int(_digest(f"opening|{iban}"), 16) % 400_000
    booked = sum(_cents(t) for t in booked_transactions(iban, currency, today))
    pending = sum(_cents(t) for t in pending_transactions(iban, currency, today))
    expected = opening + booked
    return [
        {
            "balanceAmount": {"amount": _money(expected), "currency": currency},
            "balanceType": "expected",
            "referenceDate": today.isoformat(),
        },
        {
            "balanceAmount": {"amount": _money(expected + pending), "currency": currency},
            "balanceType": "interimAvailable",
            "referenceDate": today.isoformat(),
        },
    ]


def _cents(transaction: dict[str, Any]) -> int:
    return int(Decimal(transaction["transactionAmount"]["amount"]) * 100)
