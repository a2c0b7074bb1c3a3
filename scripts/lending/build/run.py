"""`dbt build`, made friendly: one build at a time, and a summary that explains anything
that failed or warned.

  1. Take an exclusive lock next to the DuckDB file; a second build waits for the first
     instead of fighting over the file (DuckDB lets one process write it), and the
     generator waits before it swaps in new raw data (lending.locking). Everything the
     build creates (the DuckDB file, its spill folder, dbt's artifacts) is owner-only.
  2. Run `dbt build` with any extra arguments given here. dbt itself checks the raw
     files' structure first and publishes the marts only if everything passed
     (dbt_project.yml's hooks), so a bare `dbt build` is as safe as this.
  3. Print the build summary, or what failed and why.
  4. Record the run metrics, passed or failed (lending.monitoring.run_metrics).

Exits with dbt's exit code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lending import cli, settings
from lending.build import summary as summarize_build
from lending.locking import LockError, exclusive_lock, restrict_new_files
from lending.monitoring import run_metrics

DBT = str(Path(sys.executable).with_name("dbt"))


def main(argv: list[str] | None = None) -> int:
    dbt_args = list(sys.argv[1:] if argv is None else argv)
    database = settings.duckdb_path()
    restrict_new_files()
    try:
        with exclusive_lock(database):
            return _build(dbt_args, database)
    except LockError as error:
        return cli.fail("lending-build", error)


def _build(dbt_args: list[str], database: Path) -> int:
    """`dbt build`, its summary and its run metrics, under the lock."""
    target = settings.target_path()
    run_results = target / "run_results.json"
    before = run_results.stat().st_mtime_ns if run_results.exists() else None
    built = subprocess.run([DBT, "build", *dbt_args], check=False)
    after = run_results.stat().st_mtime_ns if run_results.exists() else None
    ran = after is not None and after != before
    if not ran:
        print("dbt stopped before building anything; its message is above.")
    else:
        print(
            summarize_build.report(
                database, run_results, settings.raw_data_path(), built.returncode != 0
            ),
            flush=True,
        )
    run_metrics.record_build(run_results if ran else None, database, target)
    return built.returncode
