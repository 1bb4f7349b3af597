"""HTTP load against the API: wrk with a Lua script, or the asyncio fallback in its own process.

wrk (C, epoll) needs a small share of one core for 32 connections, so on two cores it leaves
the server nearly all the CPU; the Python fallback needs far more and says so in the results.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.options import ROOT

LUA_SCRIPT = ROOT / "bench" / "lua" / "requests.lua"
_MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class LoadResult:
    tool: str
    mode: str
    clients: int
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    wrapped: int
    generator_cpu_seconds: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "mode": self.mode,
            "clients": self.clients,
            "requests": self.requests,
            "seconds": self.seconds,
            "throughput_rps": self.throughput,
            "p50_ms": self.p50_ms,
            "p90_ms": self.p90_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "statuses": self.statuses,
            "errors": self.errors,
            "wrapped": self.wrapped,
            "generator_cpu_seconds": self.generator_cpu_seconds,
        }


def find_wrk(install: bool = True) -> str | None:
    """The wrk binary; installed from Debian's packages when missing and we are root."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    print("bench: installing wrk with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False, capture_output=True
    )
    return shutil.which("wrk")


class LoadGenerator:
    def __init__(self, preference: str) -> None:
        self.preference = preference
        self.wrk = find_wrk() if preference in ("auto", "wrk") else None
        if preference == "wrk" and self.wrk is None:
            raise RuntimeError("wrk is not installed and could not be installed")
        self.tool = "wrk" if self.wrk else "python-asyncio-httpx"

    def describe(self) -> str:
        if self.wrk:
            version = subprocess.run(
                [self.wrk, "--version"], capture_output=True, text=True, check=False
            ).stdout.splitlines()
            return f"wrk ({version[0].strip() if version else 'unknown version'}), Lua script"
        why = "--loadgen python" if self.preference == "python" else "wrk unavailable"
        return f"asyncio + httpx client in a separate process ({why})"

    def run(
        self,
        url: str,
        mode: str,
        *,
        clients: int,
        seconds: float,
        data: Path | None = None,
    ) -> LoadResult:
        path = str(data) if data else "-"
        if self.wrk:
            threads = 2 if clients >= 2 else 1
            argv = [
                self.wrk,
                f"-t{threads}",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(LUA_SCRIPT),
                url,
                "--",
                mode,
                path,
                str(threads),
            ]
        else:
            argv = [sys.executable, "-m", "bench.pyload", url, mode, path, str(clients)]
            argv.append(str(seconds))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        completed = subprocess.run(
            argv, capture_output=True, text=True, cwd=ROOT, timeout=seconds + 120, check=False
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        line = next((row for row in completed.stdout.splitlines() if row.startswith(_MARKER)), None)
        if line is None:
            raise RuntimeError(
                f"load generator failed ({completed.returncode}): "
                f"{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
            )
        raw: dict[str, Any] = json.loads(line[len(_MARKER) :])
        latency = raw["latency_us"]
        return LoadResult(
            tool=self.tool,
            mode=mode,
            clients=clients,
            requests=int(raw["requests"]),
            seconds=raw["duration_us"] / 1e6,
            p50_ms=latency["p50"] / 1000,
            p90_ms=latency["p90"] / 1000,
            p99_ms=latency["p99"] / 1000,
            max_ms=latency["max"] / 1000,
            statuses={key: int(value) for key, value in raw["status"].items()},
            errors={key: int(value) for key, value in raw["errors"].items()},
            wrapped=int(raw["wrapped"]),
            generator_cpu_seconds=cpu,
        )
