"""The project's own commands timed as a user runs them: `make run` in the project and
`make test` in a fresh clone."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from lending.bench.measure import run_measured
from lending.settings import PROJECT_ROOT

# What `make bench` itself exports or passes down: a user's shell has none of it, and
# the clone must not read the project's folders.
NOT_A_USERS = (
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
    "MAKEOVERRIDES",
    "BANK_RAW_DATA_PATH",
    "DBT_DUCKDB_PATH",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
    "DBT_PROJECT_DIR",
    "DBT_PROFILES_DIR",
)
MAKE_TEST_HINT = "run `make bench BENCH_MAKE_TEST=1`"


def user_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NOT_A_USERS}


def commit(root: Path = PROJECT_ROOT) -> str | None:
    """The checked-out commit, marked `-dirty` when the work tree has changes; None
    outside a git checkout."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )

    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def time_make_run(rounds: int) -> dict:
    """`make run` in the project: one warm-up run (installs, generates the default data
    if needed), then `rounds` timed runs; their median."""
    print("\n== make run (one warm-up run, then timed)", flush=True)
    run_measured(["make", "run"], env=user_env())
    seconds = [run_measured(["make", "run"], env=user_env()).seconds for _ in range(rounds)]
    print("  " + ", ".join(f"{s:.1f}s" for s in seconds), flush=True)
    return {"seconds": statistics.median(seconds), "runs": seconds}


def time_make_test(work: Path) -> dict:
    """`make test` in a fresh clone of the committed HEAD (uncommitted changes are not in
    it), from creating its virtual environments to the last check."""
    clone = work / "clone"
    print(f"\n== make test in a fresh clone ({clone})", flush=True)
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_ROOT), str(clone)], check=True)
    run = run_measured(["make", "test"], env=user_env(), cwd=clone)
    shutil.rmtree(clone, ignore_errors=True)
    print(f"  {run.seconds / 60:.1f} min", flush=True)
    return {
        "seconds": run.seconds,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
    }


def earlier_make_test(previous_report: Path) -> dict:
    """The last measured `make test`, carried over from the previous results.json with
    its date and commit; or why there is none."""
    try:
        entry = json.loads(previous_report.read_text()).get("make_test", {})
    except (OSError, ValueError):
        entry = {}
    if "seconds" not in entry:
        return {"not_measured": MAKE_TEST_HINT}
    day = entry["measured_at"][:10]
    return {**entry, "note": f"earlier run, {day}, commit {entry['commit']}; {MAKE_TEST_HINT}"}
