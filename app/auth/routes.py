from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.auth import service
from app.auth.dependencies import CurrentUser
from app.auth.schemas import LoginRequest, TokenResponse, UserResponse
from app.auth.security import create_access_token
from app.config import get_settings
from app.db import DbSession

router = APIRouter(prefix="/api/auth", tags=["auth"])

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, malformed or expired token"}
}


@router.post("/login", responses={401: {"description": "Incorrect email or password"}})
def login(body: LoginRequest, session: DbSession) -> TokenResponse:
    user = service.authenticate(session, body.email, body.password)
    return TokenResponse(access_token=create_access_token(get_settings(), user.id))


@router.get("/me", responses=_UNAUTHORIZED)
def me(user: CurrentUser) -> UserResponse:
    return UserResponse.model_validate(user)
