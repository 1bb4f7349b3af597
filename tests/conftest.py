"""Test session set-up: one migrated Postgres database per session, one transaction per test.

The environment is fixed here, before anything imports ``app.config``, so the API under
test, and every worker or Dagster process the tests start, share the same database.
"""

from __future__ import annotations

import os

os.environ["ENVIRONMENT"] = "test"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
# Celery's Redis keys (queues, events, control) are unique to this session, so concurrent
# test runs sharing one Redis never take each other's tasks.
os.environ.setdefault("REDIS_KEY_PREFIX", f"bankjobs-test-{os.getpid()}-{os.urandom(4).hex()}:")

from tests.support.database import create_database, drop_database, migrate

_BASE_URL = os.environ.get(
    "DATABASE_URL", "postgresql+psycopg://bankjobs:bankjobs@127.0.0.1:5432/bankjobs"
)
TEST_DATABASE_URL = create_database(_BASE_URL)
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
migrate(TEST_DATABASE_URL)

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.auth.security import create_access_token, hash_password  # noqa: E402
from app.config import EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY, get_settings  # noqa: E402
from app.db import get_engine, get_session  # noqa: E402
from app.main import create_app  # noqa: E402
from app.providers.gocardless import GoCardlessClient  # noqa: E402
from app.users.models import User  # noqa: E402
from app.users.repository import create_user  # noqa: E402
from emulator.testing import EmulatorControl, run_emulator  # noqa: E402

PASSWORD = "correct-horse-battery"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    get_engine().dispose()
    drop_database(TEST_DATABASE_URL)


@pytest.fixture
def db_session() -> Iterator[Session]:
    """A session whose commits stay inside one transaction that is rolled back after the test."""
    connection = get_engine().connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def client(db_session: Session) -> Iterator[TestClient]:
    app = create_app()

    def _session() -> Iterator[Session]:
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise

    app.dependency_overrides[get_session] = _session
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def committed_db() -> Iterator[None]:
    """For tests whose data other processes (workers, Dagster) must see: truncated afterwards."""
    yield
    with get_engine().begin() as conn:
        conn.execute(
            text("TRUNCATE transactions, balances, accounts, jobs, connections, users CASCADE")
        )


def make_user(session: Session, email: str | None = None) -> User:
    user = create_user(
        session, email or f"user-{uuid.uuid4().hex[:8]}@example.com", hash_password(PASSWORD)
    )
    assert user is not None
    session.flush()
    return user


def auth_headers_for(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(get_settings(), user.id)}"}


@pytest.fixture
def user(db_session: Session) -> User:
    return make_user(db_session)


@pytest.fixture
def other_user(db_session: Session) -> User:
    return make_user(db_session)


@pytest.fixture
def auth_headers(user: User) -> dict[str, str]:
    return auth_headers_for(user)


# -- the bank: one GoCardless emulator for the whole session ---------------------------------


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    with run_emulator() as url:
        yield url


@pytest.fixture(scope="session")
def _emulator_session(emulator_url: str) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator_url) as control:
        yield control


@pytest.fixture
def emulator(_emulator_session: EmulatorControl) -> EmulatorControl:
    """The emulator's controls after a reset: every test starts with an empty bank."""
    _emulator_session.reset()
    return _emulator_session


@pytest.fixture
def bank(emulator: EmulatorControl) -> Iterator[GoCardlessClient]:
    """The app's GoCardless client, talking to the emulator."""
    with GoCardlessClient(
        emulator.api_base_url, EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY, timeout=10.0
    ) as client:
        yield client
