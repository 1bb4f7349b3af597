"""A real Celery worker (and beat) for the test session, on the session's Redis key prefix."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.support.processes import BIN, ManagedProcess, python_env, wait_until

QUEUES = "dispatch,reconcile"


def start_worker(workdir: Path, env: dict[str, str], *, concurrency: int = 2) -> ManagedProcess:
    """A prefork worker: killing one of its pool processes is what a lost worker looks like."""
    return ManagedProcess(
        "celery-worker",
        [
            str(BIN / "celery"),
            "-A",
            "worker.celery_app",
            "worker",
            "--loglevel=INFO",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "-Q",
            QUEUES,
            "-n",
            f"test-{uuid.uuid4().hex[:8]}@%h",
            "--without-mingle",
            "--without-gossip",
        ],
        env=python_env(env),
        log_dir=workdir,
    )


def wait_worker_ready(worker: ManagedProcess, timeout: float = 60.0) -> None:
    def ready() -> bool:
        worker.ensure_alive()
        return " ready." in worker.log()

    wait_until(ready, timeout=timeout, interval=0.2, what="the Celery worker")
    wait_until(
        lambda: len(worker.children()) > 0, timeout=timeout, what="the worker's pool processes"
    )


def start_beat(workdir: Path, env: dict[str, str]) -> ManagedProcess:
    beat = ManagedProcess(
        "celery-beat",
        [
            str(BIN / "celery"),
            "-A",
            "worker.celery_app",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(workdir / f"beat-schedule-{uuid.uuid4().hex[:8]}"),
        ],
        env=python_env(env),
        log_dir=workdir,
    )

    def started() -> bool:
        beat.ensure_alive()
        return "Sending due task" in beat.log()

    wait_until(started, timeout=60, interval=0.2, what="Celery beat")
    return beat


def start_flower(
    workdir: Path, env: dict[str, str], *, port: int, basic_auth: str
) -> ManagedProcess:
    """Flower as `make up` runs it (``python -m worker.flower``), on this session's prefix."""
    return ManagedProcess(
        "flower",
        [str(BIN / "python"), "-m", "worker.flower"],
        env=python_env({**env, "FLOWER_PORT": str(port), "FLOWER_BASIC_AUTH": basic_auth}),
        log_dir=workdir,
    )
