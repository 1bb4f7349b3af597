"""The bank-link flow through the API, against the real emulator and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.config import get_settings
from app.connections import service
from app.connections.bank import get_bank_client
from app.connections.models import Connection
from app.enums import ConnectionStatus, EntityType, JobStatus, JobType
from app.jobs.models import Job
from app.providers.gocardless import GoCardlessClient
from app.users.models import User
from emulator.testing import EmulatorControl
from tests.conftest import auth_headers_for, make_user
from tests.orchestration.support import SANDBOX

FRONTEND = get_settings().frontend_url.rstrip("/")


def _connect(api: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = api.post("/api/connections", json={"institution_id": SANDBOX}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _callback_params(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == get_settings().connections_callback_url
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def _callback(api: TestClient, params: dict[str, str]) -> dict[str, str]:
    response = api.get("/api/connections/callback", params=params, follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{FRONTEND}/accounts?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def _sync_jobs(session: Session, connection_id: str) -> list[Job]:
    return list(
        session.execute(
            select(Job).where(
                Job.entity_type == EntityType.CONNECTION,
                Job.entity_id == connection_id,
                Job.job_type == JobType.SYNC,
            )
        ).scalars()
    )


# --- institutions --------------------------------------------------------------------------


def test_institutions_of_a_country_include_the_sandbox_bank(
    api: TestClient, auth_headers: dict[str, str]
) -> None:
    response = api.get("/api/institutions", params={"country": "gb"}, headers=auth_headers)

    assert response.status_code == 200
    institutions = response.json()
    assert institutions[0] == {
        "id": SANDBOX,
        "name": "Sandbox Finance",
        "bic": "SFIN0000",
        "logo": institutions[0]["logo"],
        "countries": ["XX"],
    }
    assert {"BARCLAYS_BUKBGB22", "MONZO_MONZGB2L"} <= {i["id"] for i in institutions}
    assert all(set(i) == {"id", "name", "bic", "logo", "countries"} for i in institutions)


@pytest.mark.parametrize(
    ("country", "status", "detail"),
    [
        ("ZZ", 400, "Unknown country code 'ZZ'"),
        ("GBR", 422, "Invalid request: query.country: String should match pattern"),
    ],
)
def test_institutions_refuse_a_bad_country(
    api: TestClient, auth_headers: dict[str, str], country: str, status: int, detail: str
) -> None:
    response = api.get("/api/institutions", params={"country": country}, headers=auth_headers)

    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)


def test_institutions_when_the_bank_is_down(api: TestClient, auth_headers: dict[str, str]) -> None:
    app = api.app
    assert isinstance(app, FastAPI)
    down = GoCardlessClient("http://127.0.0.1:9/api/v2/", "id", "key", timeout=1.0)
    app.dependency_overrides[get_bank_client] = lambda: down

    response = api.get("/api/institutions", params={"country": "GB"}, headers=auth_headers)

    assert response.status_code == 503
    assert response.json() == {"detail": "The bank is temporarily unavailable; try again later"}


def test_institutions_need_a_login(api: TestClient) -> None:
    assert api.get("/api/institutions", params={"country": "GB"}).status_code == 401


# --- creating a connection -----------------------------------------------------------------


def test_create_connection_starts_a_requisition_with_a_single_use_reference(
    api: TestClient,
    auth_headers: dict[str, str],
    user: User,
    bank: GoCardlessClient,
    db_session: Session,
) -> None:
    body = _connect(api, auth_headers)

    connection = body["connection"]
    assert connection["status"] == "pending"
    assert connection["institution_id"] == SANDBOX
    assert connection["institution_name"] == "Sandbox Finance"
    assert connection["accounts"] == []
    assert connection["latest_sync_job"] is None
    stored = db_session.get_one(Connection, connection["id"])
    assert stored.user_id == user.id
    assert len(stored.reference) >= 40
    assert stored.requisition_id is not None
    requisition = bank.get_requisition(stored.requisition_id)
    assert requisition.reference == stored.reference
    assert requisition.redirect == get_settings().connections_callback_url
    assert requisition.agreement == stored.agreement_id
    assert body["link"] == requisition.link


def test_create_connection_refuses_an_unknown_institution(
    api: TestClient, auth_headers: dict[str, str]
) -> None:
    response = api.post(
        "/api/connections", json={"institution_id": "NO_SUCH_BANK"}, headers=auth_headers
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Unknown institution 'NO_SUCH_BANK'"}


def test_create_connection_validates_the_body(
    api: TestClient, auth_headers: dict[str, str]
) -> None:
    response = api.post("/api/connections", json={}, headers=auth_headers)

    assert response.status_code == 422
    assert "institution_id" in response.json()["detail"]


# --- the callback --------------------------------------------------------------------------


def test_approved_link_activates_the_connection_and_queues_a_sync(
    api: TestClient,
    auth_headers: dict[str, str],
    emulator: EmulatorControl,
    db_session: Session,
) -> None:
    body = _connect(api, auth_headers)
    params = _callback_params(emulator.approve(body["link"]))

    outcome = _callback(api, params)

    connection_id = body["connection"]["id"]
    assert outcome == {"connection": connection_id, "outcome": "connected"}
    connection = db_session.get_one(Connection, connection_id)
    db_session.refresh(connection)
    assert connection.status is ConnectionStatus.ACTIVE
    assert connection.status_reason is None
    assert connection.access_expires_at is not None
    expected = datetime.now(UTC) + timedelta(days=90)
    assert abs(connection.access_expires_at - expected) < timedelta(minutes=5)
    accounts = db_session.execute(
        select(Account).where(Account.connection_id == connection.id)
    ).scalars()
    assert sorted((a.iban, a.owner_name) for a in accounts) == [
        ("GL0865354374424724", "Jane Doe"),
        ("GL3343697694912188", "John Doe"),
    ]
    jobs = _sync_jobs(db_session, connection_id)
    assert [job.status for job in jobs] == [JobStatus.PENDING]

    listed = api.get("/api/connections", headers=auth_headers).json()["connections"][0]
    assert listed["status"] == "active"
    assert listed["latest_sync_job"]["id"] == str(jobs[0].id)
    assert len(listed["accounts"]) == 2


def test_cancelled_link_fails_the_connection(
    api: TestClient, auth_headers: dict[str, str], emulator: EmulatorControl, db_session: Session
) -> None:
    body = _connect(api, auth_headers)
    params = _callback_params(emulator.reject(body["link"]))
    assert params["error"] == "UserCancelledSession"

    outcome = _callback(api, params)

    assert outcome["outcome"] == "failed"
    assert outcome["reason"] == "You cancelled the bank login"
    connection = db_session.get_one(Connection, body["connection"]["id"])
    assert connection.status is ConnectionStatus.FAILED
    assert connection.status_reason == "You cancelled the bank login"
    assert _sync_jobs(db_session, body["connection"]["id"]) == []


def test_requisition_rejected_at_the_bank_fails_the_connection(
    api: TestClient, auth_headers: dict[str, str], emulator: EmulatorControl, db_session: Session
) -> None:
    body = _connect(api, auth_headers)
    connection = db_session.get_one(Connection, body["connection"]["id"])
    assert connection.requisition_id is not None
    emulator.force_status(connection.requisition_id, "RJ")

    outcome = _callback(api, {"ref": connection.reference})

    assert outcome["outcome"] == "failed"
    assert outcome["reason"] == service.REJECTED_REASON
    db_session.refresh(connection)
    assert connection.status is ConnectionStatus.FAILED


def test_requisition_expired_at_the_bank_expires_the_connection(
    api: TestClient, auth_headers: dict[str, str], emulator: EmulatorControl, db_session: Session
) -> None:
    body = _connect(api, auth_headers)
    connection = db_session.get_one(Connection, body["connection"]["id"])
    assert connection.requisition_id is not None
    emulator.force_status(connection.requisition_id, "EX")

    outcome = _callback(api, {"ref": connection.reference})

    assert outcome["outcome"] == "expired"
    db_session.refresh(connection)
    assert connection.status is ConnectionStatus.EXPIRED
    assert connection.status_reason == service.EXPIRED_REASON


def test_forged_reference_is_refused_and_changes_nothing(
    api: TestClient, auth_headers: dict[str, str], emulator: EmulatorControl, db_session: Session
) -> None:
    body = _connect(api, auth_headers)
    emulator.approve(body["link"])

    response = api.get(
        "/api/connections/callback", params={"ref": "forged-reference"}, follow_redirects=False
    )

    assert response.status_code == 400
    assert response.json() == {"detail": service.INVALID_REFERENCE}
    connection = db_session.get_one(Connection, body["connection"]["id"])
    assert connection.status is ConnectionStatus.PENDING
    assert connection.reference_used_at is None


def test_reused_reference_is_refused_and_changes_nothing(
    api: TestClient, auth_headers: dict[str, str], emulator: EmulatorControl, db_session: Session
) -> None:
    body = _connect(api, auth_headers)
    params = _callback_params(emulator.approve(body["link"]))
    assert _callback(api, params)["outcome"] == "connected"
    connection = db_session.get_one(Connection, body["connection"]["id"])
    before = (connection.status, connection.updated_at, connection.reference_used_at)

    response = api.get("/api/connections/callback", params=params, follow_redirects=False)

    assert response.status_code == 400
    assert response.json() == {"detail": service.INVALID_REFERENCE}
    db_session.refresh(connection)
    assert (connection.status, connection.updated_at, connection.reference_used_at) == before
    assert len(_sync_jobs(db_session, body["connection"]["id"])) == 1


def test_link_still_at_the_bank_stays_pending_until_the_beat_check(
    api: TestClient,
    auth_headers: dict[str, str],
    emulator: EmulatorControl,
    bank: GoCardlessClient,
    db_session: Session,
) -> None:
    emulator.set_faults(consent_outcome="UA")
    body = _connect(api, auth_headers)
    params = _callback_params(emulator.approve(body["link"]))

    outcome = _callback(api, params)

    assert outcome["outcome"] == "pending"
    connection = db_session.get_one(Connection, body["connection"]["id"])
    assert connection.status is ConnectionStatus.PENDING
    assert connection.status_reason == service.WAITING_REASON
    assert service.check_pending_connections(db_session, bank, get_settings()) == {
        "connected": 0,
        "pending": 1,
        "failed": 0,
        "expired": 0,
        "given_up": 0,
    }

    assert connection.requisition_id is not None
    emulator.force_status(connection.requisition_id, "LN")
    counts = service.check_pending_connections(db_session, bank, get_settings())

    assert counts["connected"] == 1
    db_session.refresh(connection)
    assert connection.status is ConnectionStatus.ACTIVE
    assert len(connection.accounts) == 2
    assert [job.status for job in _sync_jobs(db_session, str(connection.id))] == [JobStatus.PENDING]


def test_links_never_completed_are_given_up(
    api: TestClient, auth_headers: dict[str, str], bank: GoCardlessClient, db_session: Session
) -> None:
    body = _connect(api, auth_headers)
    connection = db_session.get_one(Connection, body["connection"]["id"])
    connection.created_at = datetime.now(UTC) - timedelta(days=30)
    db_session.flush()

    counts = service.check_pending_connections(db_session, bank, get_settings())

    assert counts["given_up"] == 1
    db_session.refresh(connection)
    assert connection.status is ConnectionStatus.FAILED
    assert connection.status_reason == service.NOT_COMPLETED_REASON


def test_pending_check_is_a_registered_beat_task() -> None:
    import app.connections.tasks  # noqa: F401
    from worker.celery_app import celery_app

    assert "connections.check_pending" in celery_app.tasks
    schedule = celery_app.conf.beat_schedule["check-pending-connections"]
    assert schedule["task"] == "connections.check_pending"


# --- reconnect -----------------------------------------------------------------------------


def test_reconnect_gives_an_expired_connection_a_new_link(
    api: TestClient,
    auth_headers: dict[str, str],
    emulator: EmulatorControl,
    bank: GoCardlessClient,
    db_session: Session,
) -> None:
    body = _connect(api, auth_headers)
    _callback(api, _callback_params(emulator.approve(body["link"])))
    connection = db_session.get_one(Connection, body["connection"]["id"])
    old = (connection.reference, connection.requisition_id, connection.agreement_id)
    account_ids = sorted(str(a.id) for a in connection.accounts)
    old_bank_ids = sorted(a.gocardless_account_id for a in connection.accounts)
    connection.status = ConnectionStatus.EXPIRED
    connection.status_reason = "Bank access expired; reconnect the bank"
    for job in _sync_jobs(db_session, str(connection.id)):
        job.status = JobStatus.FAILED
    db_session.flush()

    response = api.post(f"/api/connections/{connection.id}/reconnect", headers=auth_headers)

    assert response.status_code == 200, response.text
    again = response.json()
    assert again["connection"]["id"] == str(connection.id)
    assert again["connection"]["status"] == "pending"
    assert again["connection"]["status_reason"] is None
    db_session.refresh(connection)
    assert connection.reference != old[0]
    assert connection.requisition_id != old[1]
    assert connection.agreement_id != old[2]
    assert again["link"] == bank.get_requisition(connection.requisition_id or "").link

    outcome = _callback(api, _callback_params(emulator.approve(again["link"])))

    assert outcome["outcome"] == "connected"
    db_session.refresh(connection)
    assert connection.status is ConnectionStatus.ACTIVE
    assert sorted(str(a.id) for a in connection.accounts) == account_ids
    assert sorted(a.gocardless_account_id for a in connection.accounts) != old_bank_ids


def test_reconnect_refuses_an_active_connection(
    api: TestClient, auth_headers: dict[str, str], emulator: EmulatorControl
) -> None:
    body = _connect(api, auth_headers)
    _callback(api, _callback_params(emulator.approve(body["link"])))

    response = api.post(
        f"/api/connections/{body['connection']['id']}/reconnect", headers=auth_headers
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "This connection is active; there is nothing to reconnect"}


def test_reconnect_of_another_users_connection_is_not_found(
    api: TestClient, auth_headers: dict[str, str], db_session: Session
) -> None:
    body = _connect(api, auth_headers)
    stranger = auth_headers_for(make_user(db_session))

    response = api.post(f"/api/connections/{body['connection']['id']}/reconnect", headers=stranger)

    assert response.status_code == 404
    assert response.json() == {"detail": "Connection not found"}
