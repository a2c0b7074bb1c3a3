#!/usr/bin/env python3
"""Print a short, human summary of the last `dbt build`: rows per layer, test results,
the overall success rate, and how to query the marts.

Reads dbt's target/run_results.json and the DuckDB file the build wrote (read-only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import duckdb

DEFAULT_DATABASE = "data/lending_research.duckdb"
LAYERS: dict[str, tuple[str, ...]] = {
    "staging": (
        "stg_bank__transactions",
        "stg_bank__economic_indicators",
        "stg_bank__demographics",
    ),
    "marts": (
        "fct_transactions",
        "fct_country_monthly",
        "fct_sector_monthly",
        "dim_countries",
        "dim_sectors",
    ),
}


def node_outcomes(run_results: Path) -> dict[str, dict[str, int]]:
    """Counts of dbt statuses per resource type, e.g. {'test': {'pass': 120}}."""
    results = json.loads(run_results.read_text())["results"]
    outcomes: dict[str, dict[str, int]] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        status = result["status"]
        outcomes.setdefault(kind, {}).setdefault(status, 0)
        outcomes[kind][status] += 1
    return outcomes


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for relations in LAYERS.values():
        for relation in relations:
            counts[relation] = con.execute(f"select count(*) from {relation}").fetchone()[0]
    return counts


def overall_success_rate(con: duckdb.DuckDBPyConnection) -> tuple[float, int]:
    completed, settled, pending = con.execute(
        "select sum(completed_count), sum(settled_count), sum(pending_count) "
        "from fct_country_monthly"
    ).fetchone()
    return completed / settled, pending


def raw_rows(raw_data: Path) -> dict[str, int] | None:
    try:
        return json.loads((raw_data / "_manifest.json").read_text())["rows"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return None


def summarize(database: Path, run_results: Path, raw_data: Path) -> str:
    outcomes = node_outcomes(run_results)
    with duckdb.connect(str(database), read_only=True) as con:
        counts = row_counts(con)
        rate, pending = overall_success_rate(con)
        countries, months = con.execute(
            "select count(distinct country_code), count(distinct month_start_date) "
            "from fct_country_monthly"
        ).fetchone()

    lines = ["", "Build summary"]
    raw = raw_rows(raw_data)
    if raw:
        lines.append(
            f"  raw Parquet    {sum(raw.values()):,} rows: "
            + ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in raw.items())
        )
    for layer, relations in LAYERS.items():
        lines.append(f"  {layer:<13}  " + ", ".join(f"{rel} {counts[rel]:,}" for rel in relations))
    lines.append(
        f"  grid           {countries} countries x {months} months = "
        f"{counts['fct_country_monthly']:,} rows in fct_country_monthly"
    )
    tests = outcomes.get("test", {})
    units = outcomes.get("unit_test", {})
    failed = sum(n for status, n in tests.items() if status not in {"pass", "warn"})
    lines.append(
        f"  tests          {tests.get('pass', 0)} data tests and {units.get('pass', 0)} "
        f"unit tests passed ({tests.get('warn', 0)} warned, {failed} failed)"
    )
    lines.append(
        f"  success rate   {rate:.2%} overall: completed / settled "
        f"({pending:,} pending transactions are not settled yet)"
    )
    lines += [
        "",
        f"The marts are in {database}. Query them with:",
        "  .venv/bin/dbt show --select fct_country_monthly --limit 10",
        f'  .venv/bin/python -c "import duckdb; '
        f"print(duckdb.connect('{database}', read_only=True).sql('from dim_countries'))\"",
        f"  duckdb -readonly {database}    # with the DuckDB CLI, if installed",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("DBT_DUCKDB_PATH", DEFAULT_DATABASE)),
        help="DuckDB file the build wrote (default: $DBT_DUCKDB_PATH or %(default)s)",
    )
    parser.add_argument(
        "--run-results",
        type=Path,
        default=Path("target/run_results.json"),
        help="dbt's run results (default: %(default)s)",
    )
    parser.add_argument(
        "--raw-data",
        type=Path,
        default=Path(os.environ.get("BANK_RAW_DATA_PATH", "data/raw")),
        help="generated dataset, for raw row counts (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    for path in (args.database, args.run_results):
        if not path.exists():
            print(
                f"summarize_build.py: error: {path} not found; run `make run` first",
                file=sys.stderr,
            )
            return 1
    print(summarize(args.database, args.run_results, args.raw_data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
