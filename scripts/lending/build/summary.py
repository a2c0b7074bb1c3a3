"""Print a short, human summary of the last `dbt build`: rows per layer, rejected rows,
test results, the overall success rate and how to query the marts; and, for every test
that failed or warned, the rows it found (data-quality tests name the month, the share
rejected and the reasons).

Reads dbt's run_results.json and manifest.json (for each model's relation) and the
DuckDB file the build wrote (read-only). A passing build is summarised from the published
marts; a failing one published nothing, so its explanation reads what it stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from lending import cli, settings
from lending.definitions import success_rate_sql


def layers(manifest: dict) -> dict[str, list[str]]:
    """The models the summary counts rows of, found by the folder they live in."""
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]

    def under(*folders: str) -> list[str]:
        return sorted(node["name"] for node in models if tuple(node["fqn"][1:3]) == folders)

    return {
        "staging": under("staging", "bank"),
        "marts": under("marts", "lending"),
        "rejected": [name for name in under("marts", "data_quality") if "rejected_" in name],
    }


SHOWN_ROWS = 10


def load_results(run_results: Path) -> list[dict]:
    return json.loads(run_results.read_text())["results"]


def node_outcomes(results: list[dict]) -> dict[str, dict[str, int]]:
    """Counts of dbt statuses per resource type, e.g. {'test': {'pass': 120}}."""
    outcomes: dict[str, dict[str, int]] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        outcomes.setdefault(kind, {}).setdefault(result["status"], 0)
        outcomes[kind][result["status"]] += 1
    return outcomes


def describe_row(row: dict) -> str:
    """One stored failure row in words; data-quality rows get a sentence of their own."""
    if {"source_name", "month_start_date", "rejected_row_count"} <= row.keys():
        return (
            f"{row['source_name']} {str(row['month_start_date'])[:7]}: "
            f"{row['rejected_row_count']:,} of {row['raw_row_count']:,} rows rejected "
            f"({row['rejected_share']:.1%}) for {row['rejection_reasons']}"
        )
    return ", ".join(f"{column}={value}" for column, value in row.items())


def problems(results: list[dict], database: Path) -> list[str]:
    """What every failed, erroring or warning node reported, with stored failure rows."""
    lines: list[str] = []
    noteworthy = [r for r in results if r["status"] in {"fail", "error", "warn", "runtime error"}]
    if not noteworthy:
        return lines
    with duckdb.connect(str(database), read_only=True) as con:
        for result in noteworthy:
            name = result["unique_id"].split(".")[-1]
            lines.append(f"  {result['status'].upper():<5} {name}: {result['message']}")
            relation = result.get("relation_name")
            if not relation or result["status"] == "error":
                continue
            cursor = con.execute(f"select * from {relation} order by all limit {SHOWN_ROWS + 1}")
            columns = [d[0] for d in cursor.description]
            rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
            lines += [f"          {describe_row(row)}" for row in rows[:SHOWN_ROWS]]
            if len(rows) > SHOWN_ROWS:
                lines.append(f"          ... more in {relation}")
    return lines


def row_counts(
    con: duckdb.DuckDBPyConnection, layered: dict[str, list[str]], relations: dict[str, str]
) -> dict[str, int]:
    counts = {}
    for models in layered.values():
        for model in models:
            counts[model] = con.execute(f"select count(*) from {relations[model]}").fetchone()[0]
    return counts


def raw_rows(raw_data: Path) -> dict[str, int] | None:
    try:
        return json.loads((raw_data / "_manifest.json").read_text())["rows"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return None


def summarize(database: Path, results: list[dict], raw_data: Path, manifest: Path) -> str:
    outcomes = node_outcomes(results)
    layered = layers(json.loads(manifest.read_text()))
    relations = settings.model_relations(manifest)
    with duckdb.connect(str(database), read_only=True) as con:
        counts = row_counts(con, layered, relations)
        success_rate, pending = con.execute(
            f"select {success_rate_sql('sum(completed_count)', 'sum(settled_count)')}, "
            f"sum(pending_count) from {relations['fct_country_monthly']}"
        ).fetchone()
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
    for layer, models in layered.items():
        lines.append(f"  {layer:<13}  " + ", ".join(f"{m} {counts[m]:,}" for m in models))
    lines.append(
        f"  grid           {countries} countries x {months} months = "
        f"{counts['fct_country_monthly']:,} rows in fct_country_monthly"
    )
    tests, units = outcomes.get("test", {}), outcomes.get("unit_test", {})
    failed = sum(n for status, n in tests.items() if status not in {"pass", "warn"})
    unit_note = (
        f"{units.get('pass', 0)} unit tests passed"
        if units
        else "unit tests are run by `make test`"
    )
    lines.append(
        f"  tests          {tests.get('pass', 0)} data tests passed, {tests.get('warn', 0)} "
        f"warned, {failed} failed; {unit_note}"
    )
    lines.append(
        f"  success rate   {success_rate:.2%} overall: completed / settled "
        f"({pending:,} pending transactions are not settled yet)"
    )
    lines += [
        "",
        f"The marts are in {database} (schema main; the quarantine in main_quarantine)."
        " Query them with:",
        '  .venv/bin/dbt show --limit 10 --inline "select country_code, month_start_date,'
        " settled_count, completed_count from {{ ref('fct_country_monthly') }}"
        ' order by all"',
        f'  .venv/bin/python -c "import duckdb; '
        f"print(duckdb.connect('{database}', read_only=True).sql('from dim_countries'))\"",
        f"  duckdb -readonly {database}    # with the DuckDB CLI, if installed",
    ]
    return "\n".join(lines)


def report(database: Path, run_results: Path, raw_data: Path, build_failed: bool) -> str:
    results = load_results(run_results)
    found = problems(results, database)
    if build_failed:
        lines = ["", "The build failed:", *found]
        lines.append(
            "Data-quality failures list their month and reasons above; the reason codes "
            "are explained in seeds/rejection_reasons.csv and the README's Data quality "
            "section."
        )
        lines.append(
            "Nothing was published: the marts analysts query are those of the last passing "
            "build. What this build computed is in the *_audit schema (e.g. "
            "main_audit.fct_data_quality_monthly)."
        )
        return "\n".join(lines)
    text = summarize(database, results, raw_data, run_results.with_name("manifest.json"))
    if found:
        text += "\n\nWorth a look:\n" + "\n".join(found)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(
        "lending-summary",
        __doc__,
        parents=[
            settings.path_option("--database", "DuckDB file the build wrote"),
            settings.path_option("--run-results", "dbt's run results"),
            settings.path_option("--raw-data", "generated dataset, for raw row counts"),
        ],
    )
    parser.add_argument(
        "--build-failed",
        action="store_true",
        help="only explain what failed (the marts may not all exist)",
    )
    args = parser.parse_args(argv)
    for path in (args.database, args.run_results):
        if not path.exists():
            return cli.fail(parser.prog, f"{path} not found; run `make run` first")
    print(report(args.database, args.run_results, args.raw_data, args.build_failed))
    return 0
