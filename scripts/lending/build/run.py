"""`dbt build`, made friendly: one build at a time, and a summary that explains anything
that failed or warned.

  1. Take an exclusive lock next to the DuckDB file; a second build waits for the first
     instead of fighting over the file (DuckDB lets one process write it).
  2. Run `dbt build` with any extra arguments given here. dbt itself checks the raw
     files' structure first and publishes the marts only if everything passed
     (dbt_project.yml's hooks), so a bare `dbt build` is as safe as this.
  3. Print the build summary, or what failed and why.
  4. Record the run metrics, passed or failed (lending.monitoring.run_metrics).

Exits with dbt's exit code.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lending import settings
from lending.build import summary as summarize_build
from lending.monitoring import run_metrics

DBT = str(Path(sys.executable).with_name("dbt"))


@contextmanager
def exclusive_lock(database: Path) -> Iterator[None]:
    lock_path = database.with_name(database.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            print(
                f"Another build ({holder}) is using {database}; waiting for it to finish...",
                flush=True,
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    dbt_args = list(sys.argv[1:] if argv is None else argv)
    database = settings.duckdb_path()
    raw_data = settings.raw_data_path()
    target = settings.target_path()
    run_results = target / "run_results.json"
    with exclusive_lock(database):
        before = run_results.stat().st_mtime_ns if run_results.exists() else None
        built = subprocess.run([DBT, "build", *dbt_args], check=False)
        after = run_results.stat().st_mtime_ns if run_results.exists() else None
        ran = after is not None and after != before
        if not ran:
            print("dbt stopped before building anything; its message is above.")
        else:
            print(
                summarize_build.report(database, run_results, raw_data, built.returncode != 0),
                flush=True,
            )
        run_metrics.record_build(run_results if ran else None, database, target)
    return built.returncode


if __name__ == "__main__":
    sys.exit(main())
