from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.config import Settings
from app.users.repository import get_user_by_email
from tests.support.paths import ROOT


@pytest.fixture
def no_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "FLOWER_BASIC_AUTH", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_secret_env")
def test_placeholder_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY is the placeholder"):
        Settings(environment="production", _env_file=None)


def test_short_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="shorter than 32"):
        Settings(environment="production", secret_key="short", _env_file=None)


@pytest.mark.usefixtures("no_secret_env")
def test_placeholder_flower_password_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="FLOWER_BASIC_AUTH"):
        Settings(environment="production", secret_key="x" * 40, _env_file=None)


def test_production_with_real_secrets_starts() -> None:
    settings = Settings(
        environment="production",
        secret_key="x" * 40,
        flower_basic_auth="ops:" + "y" * 20,
        _env_file=None,
    )
    assert settings.environment == "production"


@pytest.mark.usefixtures("no_secret_env")
def test_development_accepts_the_placeholder() -> None:
    assert Settings(environment="development", _env_file=None).secret_key == "change-me"


def test_api_refuses_to_start_with_placeholder_secret_in_production() -> None:
    env = {**os.environ, "ENVIRONMENT": "production", "SECRET_KEY": "change-me"}
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is the placeholder" in result.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_creates_users_and_refuses_duplicates(committed_db: None, db_session: Session) -> None:
    created = _cli("create-user", "Cli@Example.com", "long-enough-password")
    assert created.returncode == 0, created.stderr
    assert "Created user cli@example.com" in created.stdout
    assert get_user_by_email(db_session, "cli@example.com") is not None
    again = _cli("create-user", "cli@example.com", "long-enough-password")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = _cli("create-user", "x@example.com", "short")
    assert short.returncode == 2
    assert "at least 8 characters" in short.stderr


def test_seed_demo_is_idempotent(committed_db: None) -> None:
    for _ in range(2):
        result = _cli("seed-demo")
        assert result.returncode == 0, result.stderr
        assert "Demo login: demo@example.com / demo-password" in result.stdout


def test_env_example_documents_every_setting_and_parses() -> None:
    text = (ROOT / ".env.example").read_text()
    documented = {
        line.lstrip("# ").split("=", 1)[0]
        for line in text.splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    assert {name.upper() for name in Settings.model_fields} <= documented
    settings = Settings(_env_file=ROOT / ".env.example")
    assert settings.dagster_public_url is None
    assert settings.gocardless_redirect_url is None
