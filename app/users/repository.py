"""All SQL on the ``users`` table."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.users.models import User


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.execute(
        select(User).where(User.email == normalize_email(email))
    ).scalar_one_or_none()


def create_user(session: Session, email: str, password_hash: str) -> User | None:
    """Insert a user; ``None`` when the email is already taken."""
    user_id = session.execute(
        insert(User)
        .values(id=uuid.uuid4(), email=normalize_email(email), password_hash=password_hash)
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User.id)
    ).scalar_one_or_none()
    return None if user_id is None else session.get_one(User, user_id)


def set_password_hash(session: Session, user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    session.flush()
