"""The API serves a built frontend as a single-page app, behind every API route."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.frontend import mount_frontend


def _app(dist: Path) -> FastAPI:
    app = FastAPI()

    @app.get("/api/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    assert mount_frontend(app, dist)
    return app


def test_unknown_paths_get_index_html_and_assets_are_served(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<div id=app></div>")
    (tmp_path / "app.js").write_text("console.log(1)")
    client = TestClient(_app(tmp_path))
    for path in ("/", "/accounts", "/login?redirect=/accounts"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.text == "<div id=app></div>"
    assert client.get("/app.js").text == "console.log(1)"
    assert client.get("/api/ping").json() == {"pong": "yes"}
    assert client.get("/api/missing").status_code == 404


def test_nothing_is_mounted_without_a_build(tmp_path: Path) -> None:
    assert not mount_frontend(FastAPI(), tmp_path)
