"""Operator commands: ``uv run python -m app.cli --help``."""

from __future__ import annotations

import typer

from app.auth import service
from app.db import session_scope
from app.errors import DomainError

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented local demo login

cli = typer.Typer(no_args_is_help=True, add_completion=False)


@cli.command("create-user")
def create_user(email: str, password: str) -> None:
    """Create a user who can log in with EMAIL and PASSWORD."""
    if len(password) < 8:
        typer.echo("Password must have at least 8 characters", err=True)
        raise typer.Exit(2)
    try:
        with session_scope() as session:
            user = service.register_user(session, email, password)
    except DomainError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Created user {user.email} ({user.id})")


@cli.command("seed-demo")
def seed_demo() -> None:
    """Create the demo user (or reset its password); safe to run again."""
    with session_scope() as session:
        user = service.ensure_user(session, DEMO_EMAIL, DEMO_PASSWORD)
    typer.echo(f"Demo login: {user.email} / {DEMO_PASSWORD}")


if __name__ == "__main__":
    cli()
