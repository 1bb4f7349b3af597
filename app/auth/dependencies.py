from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.security import InvalidToken, decode_access_token
from app.config import get_settings
from app.db import DbSession
from app.errors import UnauthorizedError
from app.users.models import User
from app.users.repository import get_user

_bearer = HTTPBearer(auto_error=False, description="The access token from /api/auth/login")


def get_current_user(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("Not authenticated: send 'Authorization: Bearer <token>'")
    try:
        user_id = decode_access_token(get_settings(), credentials.credentials)
    except InvalidToken as exc:
        raise UnauthorizedError(str(exc)) from exc
    user = get_user(session, user_id)
    if user is None:
        raise UnauthorizedError("The user of this token no longer exists; log in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
