from __future__ import annotations

import httpx

from tests.emulator.helpers import SANDBOX

DOCUMENTED_KEYS = {
    "id",
    "name",
    "bic",
    "transaction_total_days",
    "countries",
    "logo",
    "max_access_valid_for_days",
}


def test_gb_institutions_have_string_numbers_and_no_sandbox(api: httpx.Client) -> None:
    response = api.get("institutions/", params={"country": "GB"})
    assert response.status_code == 200
    institutions = response.json()
    assert isinstance(institutions, list)
    assert len(institutions) >= 3
    for institution in institutions:
        assert set(institution) == DOCUMENTED_KEYS
        assert "GB" in institution["countries"]
        assert isinstance(institution["transaction_total_days"], str)
        assert institution["transaction_total_days"].isdigit()
        assert isinstance(institution["max_access_valid_for_days"], str)
    assert SANDBOX not in {i["id"] for i in institutions}


def test_country_is_case_insensitive(api: httpx.Client) -> None:
    upper = api.get("institutions/", params={"country": "DE"}).json()
    lower = api.get("institutions/", params={"country": "de"}).json()
    assert upper == lower
    assert upper


def test_sandbox_is_listed_under_xx(api: httpx.Client) -> None:
    institutions = api.get("institutions/", params={"country": "XX"}).json()
    sandbox = next(i for i in institutions if i["id"] == SANDBOX)
    assert sandbox["name"] == "Sandbox Finance"
    assert sandbox["bic"] == "SFIN0000"
    assert sandbox["transaction_total_days"] == "90"
    assert sandbox["countries"] == ["XX"]


def test_unknown_country_is_the_documented_400(api: httpx.Client) -> None:
    response = api.get("institutions/", params={"country": "ZZ"})
    assert response.status_code == 400
    assert response.json() == {
        "country": {"summary": "Invalid country choice.", "detail": '"ZZ" is not a valid choice.'},
        "status_code": 400,
    }


def test_valid_country_without_banks_is_an_empty_list(api: httpx.Client) -> None:
    response = api.get("institutions/", params={"country": "MT"})
    assert response.status_code == 200
    assert response.json() == []


def test_one_institution_by_id(api: httpx.Client) -> None:
    response = api.get(f"institutions/{SANDBOX}/")
    assert response.status_code == 200
    assert response.json()["id"] == SANDBOX
    assert api.get("institutions/NO_SUCH_BANK/").status_code == 404


def test_general_rate_limit_headers(api: httpx.Client) -> None:
    first = api.get("institutions/", params={"country": "GB"})
    second = api.get("institutions/", params={"country": "GB"})
    assert first.headers["http_x_ratelimit_limit"] == "300"
    remaining = int(first.headers["http_x_ratelimit_remaining"])
    assert int(second.headers["http_x_ratelimit_remaining"]) == remaining - 1
    assert 0 < int(first.headers["http_x_ratelimit_reset"]) <= 60
    assert "http_x_ratelimit_account_success_limit" not in first.headers
