"""Flower, the Celery dashboard, for `make up`: on loopback, behind basic auth from settings.

``python -m worker.flower`` (extra arguments are passed on to Flower).
"""

from __future__ import annotations

import sys

from app.config import get_settings
from worker.celery_app import celery_app


def main(extra: list[str]) -> None:
    settings = get_settings()
    celery_app.start(
        [
            "flower",
            f"--address={settings.flower_address}",
            f"--port={settings.flower_port}",
            f"--basic-auth={settings.flower_basic_auth}",
            *extra,
        ]
    )


if __name__ == "__main__":
    main(sys.argv[1:])
