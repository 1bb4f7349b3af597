"""One live stack for every browser test, Debian's Chromium, and a page per test that keeps
screenshots in ``tests/artifacts/browser/<test>/``."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from app.db import session_scope
from emulator.testing import EmulatorControl
from tests.conftest import auth_headers_for, make_user
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.stack import LiveStack, run_stack

BUNDLE_INDEX = ROOT / "frontend" / ".output" / "public" / "index.html"
SCREENSHOTS = ARTIFACTS / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
SHOTS = pytest.StashKey["Screenshots"]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not BUNDLE_INDEX.is_file():
        pytest.fail(
            f"The frontend bundle is missing ({BUNDLE_INDEX.relative_to(ROOT)}); "
            "run `make frontend` (cd frontend && npm run generate) before the browser tests.",
            pytrace=False,
        )
    with run_stack(tmp_path_factory.mktemp("browser-stack")) as live:
        yield live


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    instance = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield instance
    finally:
        instance.close()


@dataclass
class Screenshots:
    """``shot("step")`` saves ``NN-step.png`` in the test's artifact folder."""

    page: Page
    directory: Path
    count: int = 0
    console: list[str] = field(default_factory=list)

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{_slug(step)}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", value).strip("-") or "step"


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, stack: LiveStack) -> Iterator[Page]:
    directory = SCREENSHOTS / _slug(request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    context = browser.new_context(
        base_url=stack.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(30_000)
    context.set_default_navigation_timeout(60_000)
    tab = context.new_page()
    shots = Screenshots(tab, directory)
    tab.on("console", lambda message: _record_console(shots, message))
    tab.on("pageerror", lambda error: shots.console.append(f"pageerror: {error}"))
    request.node.stash[SHOTS] = shots
    try:
        yield tab
    finally:
        reports = request.node.stash.get(REPORTS, {})
        if any(report.failed for report in reports.values()):
            try:
                shots("failure")
            except Exception as exc:  # the page may be gone
                (directory / "failure-screenshot-error.txt").write_text(repr(exc))
            (directory / "console.log").write_text("\n".join(shots.console))
            (directory / "stack.log").write_text(stack.logs(200))
        context.close()


def _record_console(shots: Screenshots, message: ConsoleMessage) -> None:
    shots.console.append(f"{message.type}: {message.text}")


@pytest.fixture
def shot(request: pytest.FixtureRequest, page: Page) -> Screenshots:
    return request.node.stash[SHOTS]


@pytest.fixture
def emulator(stack: LiveStack) -> Iterator[EmulatorControl]:
    """The stack's emulator with no requisitions, faults or used quota; faults cleared after."""
    stack.emulator.reset()
    yield stack.emulator
    stack.emulator.clear_faults()
    stack.emulator.reset_quota()


@dataclass(frozen=True)
class BrowserUser:
    id: uuid.UUID
    email: str
    headers: dict[str, str]


@pytest.fixture
def user(committed_db: None) -> BrowserUser:
    email = f"browser-{uuid.uuid4().hex[:10]}@example.com"
    with session_scope() as session:
        created = make_user(session, email)
        user_id = created.id
        headers = auth_headers_for(created)
    return BrowserUser(id=user_id, email=email, headers=headers)
