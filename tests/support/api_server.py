"""The API as a real uvicorn process (for concurrency, and for a broker that is down)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.processes import BIN, ManagedProcess, free_port, python_env, wait_until


class ApiServer:
    def __init__(
        self,
        name: str,
        workdir: Path,
        env: dict[str, str],
        *,
        port: int | None = None,
        app: str = "app.main:app",
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = ManagedProcess(
            name,
            [
                str(BIN / "uvicorn"),
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=python_env(env),
            log_dir=workdir,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        def healthy() -> bool:
            self.process.ensure_alive()
            try:
                return httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=timeout, interval=0.2, what=f"{self.process.name}")

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.process.stop()
