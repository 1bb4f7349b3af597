"""Serves the built frontend (``nuxt generate``) as a single-page app, when it exists."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class SinglePageApp(StaticFiles):
    """Static files, with ``index.html`` for any unknown path outside ``/api``."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or path.startswith("api"):
                raise
            return await super().get_response("index.html", scope)


def mount_frontend(app: FastAPI, directory: Path) -> bool:
    if not (directory / "index.html").is_file():
        return False
    app.mount("/", SinglePageApp(directory=directory, html=True), name="frontend")
    return True
