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
from typing import IO, Any

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


class EmulatorControl:
    """The /_emulator/ controls and the consent buttons, for tests.

    Every method raises `httpx.HTTPStatusError` when the emulator refuses the request.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_base_url = api_base_url(self.base_url)
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        response = self.http.post(path, json=dict(body) if body is not None else None)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Forget requisitions, agreements, accounts, quotas, faults, limits and the call log."""
        self._post("/_emulator/reset")

    def set_faults(self, **fields: Any) -> dict[str, Any]:
        """E.g. set_faults(mode="bank_down", account_ids=[...], times=1) or latency_ms=500,
        consent_outcome="UA"; only the fields given change."""
        result: dict[str, Any] = self._post("/_emulator/faults", fields)
        return result

    def clear_faults(self) -> None:
        self.http.delete("/_emulator/faults").raise_for_status()

    def calls(
        self, account_id: str | None = None, requisition_id: str | None = None
    ) -> list[dict[str, Any]]:
        params = {
            k: v
            for k, v in (("account_id", account_id), ("requisition_id", requisition_id))
            if v is not None
        }
        response = self.http.get("/_emulator/calls", params=params)
        response.raise_for_status()
        calls: list[dict[str, Any]] = response.json()
        return calls

    def force_status(self, requisition_id: str, status: str) -> dict[str, Any]:
        result: dict[str, Any] = self._post(
            f"/_emulator/requisitions/{requisition_id}/status", {"status": status}
        )
        return result

    def reset_quota(self, account_id: str | None = None, scope: str | None = None) -> None:
        self._post("/_emulator/quota/reset", {"account_id": account_id, "scope": scope})

    def set_token_lifetimes(
        self, access_seconds: int | None = None, refresh_seconds: int | None = None
    ) -> None:
        self._post(
            "/_emulator/token-lifetimes",
            {"access_seconds": access_seconds, "refresh_seconds": refresh_seconds},
        )

    def revoke_tokens(self) -> None:
        self._post("/_emulator/tokens/revoke")

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._post("/_emulator/limits", limits)
        return result

    def approve(self, link: str) -> str:
        """Press Approve on the consent page of `link`; returns the redirect Location."""
        return self._press(link, "approve")

    def reject(self, link: str) -> str:
        return self._press(link, "reject")

    def _press(self, link: str, button: str) -> str:
        response = self.http.post(f"{link.rstrip('/')}/{button}", follow_redirects=False)
        if response.status_code != 303:
            raise RuntimeError(f"{button} answered {response.status_code}: {response.text[:200]}")
        return response.headers["location"]
