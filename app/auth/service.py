from __future__ import annotations

from sqlalchemy.orm import Session

from app.auth.security import hash_password, needs_rehash, verify_password
from app.errors import ConflictError, UnauthorizedError
from app.users.models import User
from app.users.repository import create_user, get_user_by_email, set_password_hash


def authenticate(session: Session, email: str, password: str) -> User:
    user = get_user_by_email(session, email)
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise UnauthorizedError("Incorrect email or password")
    if needs_rehash(user.password_hash):
        set_password_hash(session, user, hash_password(password))
    return user


def register_user(session: Session, email: str, password: str) -> User:
    user = create_user(session, email, hash_password(password))
    if user is None:
        raise ConflictError(f"A user with email {email} already exists")
    return user


def ensure_user(session: Session, email: str, password: str) -> User:
    """Create the user, or reset the password of an existing one (idempotent seeding)."""
    user = get_user_by_email(session, email)
    if user is None:
        return register_user(session, email, password)
    if not verify_password(password, user.password_hash):
        set_password_hash(session, user, hash_password(password))
    return user
