"""Wall time and peak memory of one command, run as a child process."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from lending.settings import PROJECT_ROOT


@dataclass
class Run:
    """One measured run: wall seconds, peak resident memory, and for dbt a breakdown."""

    seconds: float
    peak_mib: float
    detail: dict[str, float] = field(default_factory=dict)
    # Seconds per dbt node; kept out of results.json, which records only the slowest.
    nodes: dict[str, float] = field(default_factory=dict)

    def record(self) -> dict:
        return {"seconds": self.seconds, "peak_mib": self.peak_mib, "detail": self.detail}


def run_measured(
    command: list[str], env: dict[str, str] | None = None, cwd: Path = PROJECT_ROOT
) -> Run:
    """Run `command` to completion; stop the benchmark with its output if it fails.

    The peak is wait4's ru_maxrss: the largest resident set of the child and of every
    descendant it waited for (the largest single process, not their sum). dbt runs DuckDB
    inside its own process, so for a build this is the build's peak.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None  # stdout=PIPE
    with process.stdout:
        output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    # Reaped by wait4, not by Popen: tell Popen, or it would wait for the process again.
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(command)} failed:\n{output[-4000:]}")
    return Run(seconds=seconds, peak_mib=usage.ru_maxrss / 1024)
