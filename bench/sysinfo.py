"""What the machine was and how busy it was while a figure was measured."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from typing import Any

from bench.options import ROOT


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=10, check=False, cwd=ROOT
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "free_h": _run(["free", "-h"]),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git_commit": _run(["git", "rev-parse", "--short", "HEAD"]),
        "loadavg_start": os.getloadavg(),
    }


@dataclass
class CpuWindow:
    """Machine-wide CPU use between start() and stop(), from /proc/stat."""

    busy: float = 0.0
    total: float = 0.0

    @staticmethod
    def _read() -> tuple[float, float]:
        with open("/proc/stat") as stat:
            fields = [float(value) for value in stat.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
        total = sum(fields[:8])
        return total - idle, total

    def __enter__(self) -> CpuWindow:
        self._busy0, self._total0 = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        busy, total = self._read()
        self.busy, self.total = busy - self._busy0, total - self._total0

    @property
    def utilisation(self) -> float:
        """Share of all cores busy, 0..1."""
        return self.busy / self.total if self.total else 0.0


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (not its children)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (float(fields[11]) + float(fields[12])) / ticks
