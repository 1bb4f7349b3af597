"""Start the emulator as a real uvicorn server for tests.

with run_emulator() as base_url:          # e.g. "http://127.0.0.1:41234"
    api = f"{base_url}/api/v2/"          # what GOCARDLESS_BASE_URL should point to
    httpx.post(f"{base_url}/_emulator/reset")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def api_base_url(base_url: str) -> str:
    """The GoCardless base URL (…/api/v2/) of an emulator started by `run_emulator`."""
    return base_url.rstrip("/") + "/api/v2/"


@contextmanager
def run_emulator(
    port: int | None = None,
    *,
    state_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 20.0,
) -> Iterator[str]:
    """Run `uvicorn emulator.app:app` on 127.0.0.1 in its own process group.

    Yields the server's root URL once /_emulator/health answers; on exit the whole process
    group is terminated (then killed if it lingers).
    """
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    child_env = {**os.environ, **(env or {})}
    child_env.pop("EMULATOR_STATE_FILE", None)
    if state_file is not None:
        child_env["EMULATOR_STATE_FILE"] = str(state_file)
    child_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), child_env.get("PYTHONPATH")])
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "emulator.app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=child_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(process, base_url, startup_timeout, output)
            yield base_url
        finally:
            _stop(process)


def _wait_ready(
    process: subprocess.Popen[bytes], base_url: str, timeout: float, output: IO[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited with code {process.returncode}: {_read(output)}")
        try:
            if httpx.get(f"{base_url}/_emulator/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    _stop(process)
    raise RuntimeError(f"emulator did not answer within {timeout:.0f} s: {_read(output)}")


def _read(output: IO[bytes]) -> str:
    try:
        output.seek(0)
        return output.read().decode(errors="replace")[-4000:]
    except (OSError, ValueError):
        return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=5)
