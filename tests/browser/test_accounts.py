"""The accounts page in Chromium against the live stack: log in, connect the sandbox bank
through the emulator's consent page, Refresh, a failing sync, a reload mid-sync, a double
click, and logging out."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import text

from app.db import get_engine
from emulator.testing import EmulatorControl
from tests.browser.conftest import BrowserUser, Screenshots
from tests.conftest import PASSWORD
from tests.support.processes import wait_until
from tests.support.stack import LiveStack

pytestmark = pytest.mark.browser

SANDBOX = "SANDBOXFINANCE_SFIN0000"
# A Dagster run (launch, sync, reconcile) on a busy machine.
SYNC_TIMEOUT = 120_000
UI_TIMEOUT = 30_000
# Every bank call answers this late, so a sync stays visibly in progress.
SLOW_BANK_MS = 2_500
MONEY = re.compile(r"\d[\d,]*\.\d{2}")
RATE_LIMITED_TOAST = re.compile(r"Sync failed: Rate limit reached; next sync possible after ")


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"/accounts$"))
    expect(page.get_by_test_id("current-user")).to_have_text(email)


def link_sandbox(stack: LiveStack, emulator: EmulatorControl, user: BrowserUser) -> str:
    """Link the sandbox bank over the API and wait for its first sync to complete."""
    with httpx.Client(base_url=stack.url, headers=user.headers, timeout=60) as api:
        created = api.post("/api/connections", json={"institution_id": SANDBOX})
        assert created.status_code == 201, created.text
        callback = api.get(emulator.approve(created.json()["link"]), follow_redirects=False)
    assert callback.status_code == 303, callback.text
    assert "outcome=connected" in callback.headers["location"]
    connection_id: str = created.json()["connection"]["id"]
    [job] = finished_jobs(stack, connection_id, 1)
    assert job["status"] == "completed", job
    return connection_id


def jobs_of(connection_id: str) -> list[dict[str, Any]]:
    with get_engine().connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, status, error_message FROM jobs"
                " WHERE entity_id = :id ORDER BY created_at"
            ),
            {"id": connection_id},
        ).mappings()
        return [dict(row) for row in rows]


def finished_jobs(stack: LiveStack, connection_id: str, count: int) -> list[dict[str, Any]]:
    def finished() -> list[dict[str, Any]] | None:
        jobs = jobs_of(connection_id)
        done = len(jobs) >= count and all(j["status"] in ("completed", "failed") for j in jobs)
        return jobs if done else None

    try:
        return wait_until(
            finished, timeout=SYNC_TIMEOUT / 1000, interval=0.5, what="the sync jobs to finish"
        )
    except TimeoutError as exc:
        raise AssertionError(f"{exc}: {jobs_of(connection_id)}\n{stack.logs()}") from exc


def backdate_last_sync(connection_id: str, hours: int) -> None:
    with get_engine().begin() as conn:
        params = {"id": connection_id, "hours": hours}
        conn.execute(
            text(
                "UPDATE jobs SET completed_at = now() - make_interval(hours => :hours)"
                " WHERE entity_id = :id AND completed_at IS NOT NULL"
            ),
            params,
        )
        conn.execute(
            text(
                "UPDATE connections SET last_synced_at = now() - make_interval(hours => :hours)"
                " WHERE id = :id"
            ),
            params,
        )


def card_of(page: Page, connection_id: str) -> Locator:
    card = page.locator(f'[data-testid="connection-card"][data-connection-id="{connection_id}"]')
    expect(card).to_be_visible(timeout=UI_TIMEOUT)
    return card


def toast(page: Page, message: str | re.Pattern[str]) -> Locator:
    return page.get_by_test_id("toast").filter(has_text=message)


def expect_syncing(card: Locator) -> None:
    button = card.get_by_test_id("refresh-button")
    expect(button).to_be_disabled()
    expect(button).to_have_text("Syncing…")
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button.locator("svg.animate-spin")).to_be_visible()
    badge = card.get_by_test_id("sync-status")
    expect(badge).to_have_attribute("data-state", "syncing")
    expect(badge).to_have_text("Syncing…")


def expect_synced_just_now(page: Page, card: Locator) -> None:
    complete = toast(page, "Sync complete")
    expect(complete).to_be_visible(timeout=SYNC_TIMEOUT)
    expect(complete).to_have_attribute("data-kind", "success")
    badge = card.get_by_test_id("sync-status")
    expect(badge).to_have_attribute("data-state", "synced")
    expect(badge).to_have_text("Last synced just now")
    button = card.get_by_test_id("refresh-button")
    expect(button).to_be_enabled()
    expect(button).to_have_text("Refresh")


def test_log_in_and_connect_the_sandbox_bank(
    page: Page, shot: Screenshots, stack: LiveStack, emulator: EmulatorControl, user: BrowserUser
) -> None:
    page.goto("/accounts")
    expect(page).to_have_url(re.compile(r"/login\?redirect=(/|%2F)accounts$"))
    shot("login-page")
    page.get_by_test_id("login-email").fill(user.email)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"/accounts$"))
    expect(page.get_by_test_id("current-user")).to_have_text(user.email)
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    shot("no-banks-yet")

    page.get_by_test_id("connect-bank-button").click()
    dialog = page.get_by_test_id("connect-bank-dialog")
    expect(dialog).to_be_visible()
    sandbox = dialog.locator(f'[data-testid="institution-option"][data-institution-id="{SANDBOX}"]')
    expect(sandbox).to_be_visible(timeout=UI_TIMEOUT)
    shot("connect-dialog")
    sandbox.click()
    page.wait_for_url(f"{stack.emulator_url}/start/**")
    approve = page.locator("#approve")
    expect(approve).to_be_visible()
    shot("consent-page")

    emulator.set_faults(latency_ms=SLOW_BANK_MS)
    approve.click()
    page.wait_for_url(re.compile(re.escape(stack.url) + r"/accounts"))
    connected = toast(page, "Bank connected, syncing…")
    expect(connected).to_be_visible()
    expect(connected).to_have_attribute("data-kind", "success")
    card = page.get_by_test_id("connection-card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-status", "active")
    badge = card.get_by_test_id("sync-status")
    expect(badge).to_have_attribute("data-state", "syncing")
    expect(badge).to_have_text("Syncing…")
    expect(page).to_have_url(f"{stack.url}/accounts")
    shot("back-from-the-bank-syncing")

    expect_synced_just_now(page, card)
    rows = card.get_by_test_id("account-row")
    expect(rows).to_have_count(2)
    balances = card.get_by_test_id("account-balance")
    for index in range(2):
        expect(balances.nth(index)).to_have_text(MONEY)
    expect(card.get_by_test_id("remaining-syncs")).to_have_text("3 syncs left today")
    shot("synced-accounts")

    rows.first.click()
    transactions = card.get_by_test_id("transaction-row")
    expect(transactions.first).to_be_visible(timeout=UI_TIMEOUT)
    assert transactions.count() > 1
    shot("transactions")


def test_wrong_password_then_log_in_and_out(
    page: Page, shot: Screenshots, user: BrowserUser
) -> None:
    page.goto("/login")
    page.get_by_test_id("login-email").fill(user.email)
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Incorrect email or password")
    expect(page.get_by_test_id("login-password")).to_have_value("")
    expect(page).to_have_url(re.compile(r"/login$"))
    shot("wrong-password")

    login(page, user.email)
    shot("logged-in")
    page.get_by_test_id("logout-button").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('bankjobs.access_token')") is None
    shot("logged-out")

    page.goto("/accounts")
    expect(page).to_have_url(re.compile(r"/login\?redirect=(/|%2F)accounts$"))


def test_refresh_shows_syncing_then_sync_complete(
    page: Page, shot: Screenshots, stack: LiveStack, emulator: EmulatorControl, user: BrowserUser
) -> None:
    connection_id = link_sandbox(stack, emulator, user)
    backdate_last_sync(connection_id, hours=3)
    login(page, user.email)
    card = card_of(page, connection_id)
    badge = card.get_by_test_id("sync-status")
    expect(badge).to_have_attribute("data-state", "synced")
    expect(badge).to_have_text("Last synced 3 hours ago")
    shot("before-refresh")

    emulator.set_faults(latency_ms=SLOW_BANK_MS)
    card.get_by_test_id("refresh-button").click()
    expect_syncing(card)
    shot("syncing")

    expect_synced_just_now(page, card)
    shot("sync-complete")
    jobs = jobs_of(connection_id)
    assert [job["status"] for job in jobs] == ["completed", "completed"]


def test_failed_sync_shows_the_reason_and_refresh_works_again(
    page: Page, shot: Screenshots, stack: LiveStack, emulator: EmulatorControl, user: BrowserUser
) -> None:
    connection_id = link_sandbox(stack, emulator, user)
    login(page, user.email)
    card = card_of(page, connection_id)
    button = card.get_by_test_id("refresh-button")
    badge = card.get_by_test_id("sync-status")
    expect(badge).to_have_attribute("data-state", "synced")

    emulator.set_faults(mode="rate_limit", reset_seconds=0, latency_ms=SLOW_BANK_MS)
    button.click()
    expect_syncing(card)
    shot("syncing")

    failed = toast(page, RATE_LIMITED_TOAST)
    expect(failed).to_be_visible(timeout=SYNC_TIMEOUT)
    expect(failed).to_have_attribute("data-kind", "error")
    expect(badge).to_have_attribute("data-state", "failed")
    expect(badge).to_contain_text("Sync failed")
    reason = badge.get_by_test_id("sync-error")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("Rate limit reached; next sync possible after")
    expect(button).to_be_enabled()
    expect(button).to_have_text("Refresh")
    expect(card).to_have_attribute("data-status", "active")
    shot("sync-failed")
    badge.locator("summary").click()
    expect(badge.locator("details")).to_have_attribute("open", "")
    shot("sync-failed-details")

    emulator.clear_faults()
    emulator.set_faults(latency_ms=SLOW_BANK_MS)
    button.click()
    expect_syncing(card)
    expect_synced_just_now(page, card)
    shot("refreshed-after-failure")
    assert [job["status"] for job in jobs_of(connection_id)] == [
        "completed",
        "failed",
        "completed",
    ]


def test_reload_mid_sync_follows_the_running_sync(
    page: Page, shot: Screenshots, stack: LiveStack, emulator: EmulatorControl, user: BrowserUser
) -> None:
    connection_id = link_sandbox(stack, emulator, user)
    login(page, user.email)
    card = card_of(page, connection_id)
    expect(card.get_by_test_id("sync-status")).to_have_attribute("data-state", "synced")

    emulator.set_faults(latency_ms=SLOW_BANK_MS)
    card.get_by_test_id("refresh-button").click()
    expect_syncing(card)
    shot("syncing-before-reload")
    page.reload()
    card = card_of(page, connection_id)
    expect_syncing(card)
    shot("syncing-after-reload")

    expect_synced_just_now(page, card)
    shot("sync-complete")
    assert [job["status"] for job in jobs_of(connection_id)] == ["completed", "completed"]


def test_double_click_on_refresh_makes_one_job(
    page: Page, shot: Screenshots, stack: LiveStack, emulator: EmulatorControl, user: BrowserUser
) -> None:
    connection_id = link_sandbox(stack, emulator, user)
    login(page, user.email)
    card = card_of(page, connection_id)
    expect(card.get_by_test_id("sync-status")).to_have_attribute("data-state", "synced")

    sync_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            sync_requests.append(request.url)
            if request.method == "POST" and request.url.endswith("/sync")
            else None
        ),
    )
    emulator.set_faults(latency_ms=SLOW_BANK_MS)
    card.get_by_test_id("refresh-button").dblclick()
    expect_syncing(card)
    shot("syncing")
    expect_synced_just_now(page, card)
    shot("sync-complete")

    assert sync_requests == [f"{stack.url}/api/connections/{connection_id}/sync"]

    assert [job["status"] for job in jobs_of(connection_id)] == ["completed", "completed"]
    with httpx.Client(base_url=stack.url, headers=user.headers, timeout=30) as api:
        listed = api.get("/api/jobs", params={"entity_id": connection_id})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["jobs"]) == 2
