"""The FastAPI application."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from app.accounts.routes import router as accounts_router
from app.auth.routes import router as auth_router
from app.config import get_settings
from app.connections.routes import router as connections_router
from app.errors import install_error_handlers
from app.frontend import mount_frontend
from app.institutions.routes import router as institutions_router
from app.jobs.routes import router as jobs_router


def create_app() -> FastAPI:
    settings = get_settings()  # refuses to start on invalid settings
    app = FastAPI(title="Bank sync jobs", version="0.1.0")
    install_error_handlers(app)
    app.include_router(auth_router)
    app.include_router(jobs_router)
    app.include_router(institutions_router)
    app.include_router(connections_router)
    app.include_router(accounts_router)

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # Last: the built frontend answers every path the API does not.
    if settings.frontend_dist_dir is not None:
        mount_frontend(app, settings.frontend_dist_dir)
    return app


app = create_app()

# The app's modules (Dagster's client among them) leave a few hundred thousand long-lived
# objects; moving them out of the collector's reach keeps its full passes from pausing every
# request in flight (measured by `make bench`: p99 of GET /api/jobs 109 ms -> 40 ms).
gc.collect()
gc.freeze()
