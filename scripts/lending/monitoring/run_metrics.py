"""Turn a finished build into run metrics, append them to a JSON Lines file and, in
production, publish them to CloudWatch.

A build's metrics come from three places:
  - dbt's run_results.json: BuildSucceeded, BuildDurationSeconds, ModelsBuilt, TestsPassed,
    TestsWarned, TestsFailed;
  - the warehouse: RejectedShare per source (fct_data_quality_monthly, the build's own
    verdict on the delivery) and MartRows per public mart (what analysts now read);
  - dbt's sources.json, when `dbt source freshness` ran: StaleSourceCount.
A build that stopped before dbt wrote run_results.json (a structural fault, a compile
error) records BuildSucceeded = 0 and nothing else.

Every line of the file is one metric value:
  {"recorded_at": "...", "invocation_id": "...", "namespace": "LendingResearch/Pipeline",
   "name": "RejectedShare", "value": 0.004, "unit": "None",
   "dimensions": {"Environment": "dev", "Source": "transactions"}}
The names, units and dimensions are the contract in lending.monitoring.metrics.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from lending import cli, settings
from lending.monitoring.metrics import ENVIRONMENT_DIMENSION, METRICS, NAMESPACE, SOURCES

# Write-audit-publish: the build writes the marts to an audit schema and publishes them to
# the public schema only when the whole build passed. The data-quality numbers describe
# the build just run, so they are read where it wrote them (even when it failed); MartRows
# counts what is published, in each mart's own schema (the manifest's). `{schema}` is the
# target's schema (`main` on DuckDB).
AUDIT_SCHEMA = "{schema}_audit"
DATA_QUALITY_MART = "fct_data_quality_monthly"
DUCKDB_SCHEMA = "main"

# dbt's statuses of a node that did its job; anything else fails the build.
OK_STATUSES = {"success", "pass", "warn", "no-op"}
TEST_TYPES = {"test", "unit_test"}
# CloudWatch takes at most this many values in one PutMetricData call.
CLOUDWATCH_BATCH = 20
UNITS = {metric.name: metric.unit for metric in METRICS}
EXTRA_DIMENSIONS = {metric.name: metric.dimensions for metric in METRICS}

Query = Callable[[str], list[tuple[Any, ...]]]


class MetricsError(Exception):
    """A problem the caller can act on; the message says what."""


@dataclass(frozen=True)
class Datum:
    name: str
    value: float  # counts too: CloudWatch values are doubles
    dimensions: dict[str, str] = field(default_factory=dict)  # beyond Environment

    def __post_init__(self) -> None:
        # Warehouses return Decimal or int; one numeric type in the file and in CloudWatch.
        object.__setattr__(self, "value", float(self.value))
        # The names are a contract with the alarms: an unknown one is a bug here.
        if self.name not in UNITS or set(self.dimensions) != set(EXTRA_DIMENSIONS[self.name]):
            raise ValueError(f"{self.name} {sorted(self.dimensions)} is not in metrics.METRICS")


def from_run_results(run_results: dict) -> list[Datum]:
    """The build's outcome, duration and node counts, as dbt recorded them."""
    results = run_results["results"]
    kinds = [(result["unique_id"].split(".")[0], result["status"]) for result in results]
    tests = [status for kind, status in kinds if kind in TEST_TYPES]
    succeeded = bool(results) and all(status in OK_STATUSES for _, status in kinds)
    return [
        Datum("BuildSucceeded", succeeded),
        Datum("BuildDurationSeconds", run_results["elapsed_time"]),
        Datum("ModelsBuilt", sum(kind == "model" and s == "success" for kind, s in kinds)),
        Datum("TestsPassed", tests.count("pass")),
        Datum("TestsWarned", tests.count("warn")),
        Datum("TestsFailed", sum(status in {"fail", "error"} for status in tests)),
    ]


def from_freshness(sources: dict) -> list[Datum]:
    """StaleSourceCount: sources past their error_after threshold."""
    stale = sum(result["status"] == "error" for result in sources["results"])
    return [Datum("StaleSourceCount", stale)]


def from_warehouse(query: Query, marts: Mapping[str, str], schema: str) -> list[Datum]:
    """RejectedShare per source and MartRows per public mart (`marts`: name => the schema
    it is published to), in three queries (each costs a dbt invocation on a remote
    target). Relations that do not exist (a first build that failed early) are left out
    rather than reported as zero."""
    audit = AUDIT_SCHEMA.format(schema=schema)
    schemas = "', '".join(sorted({audit, *marts.values()}))
    existing = set(
        query(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ('{schemas}')"
        )
    )
    data: list[Datum] = []
    if (audit, DATA_QUALITY_MART) in existing:
        shares = dict(
            query(
                f"select source_name, max(rejected_share) from {audit}.{DATA_QUALITY_MART} "
                "group by source_name"
            )
        )
        data += [
            Datum("RejectedShare", shares[source], {"Source": source})
            for source in SOURCES
            if source in shares
        ]
    present = {mart: where for mart, where in marts.items() if (where, mart) in existing}
    if present:
        counts = query(
            " union all ".join(
                f"select '{mart}', count(*) from {where}.{mart}" for mart, where in present.items()
            )
        )
        data += [Datum("MartRows", rows, {"Mart": mart}) for mart, rows in sorted(counts)]
    return data


def duckdb_query(database: Path) -> Query:
    def run(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(database), read_only=True) as con:
            return con.execute(sql).fetchall()

    return run


def dbt_query(target: str) -> tuple[Query, str]:
    """Queries through dbt's own connection to a target (Redshift in production): the
    profile's credentials and settings, no second copy of them here. The project is parsed
    once. Returns the query function and the target's schema."""
    from dbt.cli.main import dbtRunner

    parsed = dbtRunner().invoke(["parse", "--target", target, "--quiet"])
    if not parsed.success:
        raise MetricsError(f"dbt cannot parse the project for target {target!r}")
    runner = dbtRunner(manifest=parsed.result)

    def run(sql: str) -> list[tuple[Any, ...]]:
        shown = runner.invoke(
            ["show", "--target", target, "--quiet", "--limit", "-1", "--inline", sql]
        )
        if not shown.success:
            raise MetricsError(f"dbt show on target {target!r} failed: {shown.exception}")
        return [tuple(row) for row in shown.result.results[0].agate_table.rows]

    return run, run("select '{{ target.schema }}'")[0][0]


def collect(
    run_results: Path | None,
    query: Query | None,
    schema: str,
    marts: Mapping[str, str],
    sources: Path | None = None,
) -> tuple[list[Datum], str | None]:
    """Every metric of one build, and dbt's invocation id (None when dbt did not run)."""
    if run_results is None or not run_results.exists():
        return [Datum("BuildSucceeded", 0.0)], None
    document = json.loads(run_results.read_text())
    data = from_run_results(document)
    if query is not None:
        data += from_warehouse(query, marts, schema)
    if sources is not None and sources.exists():
        data += from_freshness(json.loads(sources.read_text()))
    return data, document["metadata"]["invocation_id"]


def records(data: Iterable[Datum], environment: str, invocation_id: str | None) -> list[dict]:
    recorded_at = datetime.now(UTC).isoformat(timespec="seconds")
    return [
        {
            "recorded_at": recorded_at,
            "invocation_id": invocation_id,
            "namespace": NAMESPACE,
            "name": datum.name,
            "value": datum.value,
            "unit": UNITS[datum.name],
            "dimensions": {ENVIRONMENT_DIMENSION: environment, **datum.dimensions},
        }
        for datum in data
    ]


def append(lines: Iterable[dict], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("a") as file:
        file.writelines(json.dumps(line) + "\n" for line in lines)


def publish_to_cloudwatch(lines: Sequence[dict], client: Any | None = None) -> None:
    """PutMetricData in the contract's namespace. Credentials, region and endpoint come
    from the standard AWS configuration (AWS_ENDPOINT_URL_CLOUDWATCH for a test server)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or boto3.client("cloudwatch")
    metric_data = [
        {
            "MetricName": line["name"],
            "Dimensions": [{"Name": k, "Value": v} for k, v in line["dimensions"].items()],
            "Timestamp": datetime.fromisoformat(line["recorded_at"]),
            "Value": line["value"],
            "Unit": line["unit"],
        }
        for line in lines
    ]
    try:
        for start in range(0, len(metric_data), CLOUDWATCH_BATCH):
            client.put_metric_data(
                Namespace=NAMESPACE, MetricData=metric_data[start : start + CLOUDWATCH_BATCH]
            )
    except (BotoCoreError, ClientError) as error:
        raise MetricsError(f"cannot publish to CloudWatch: {error}") from error


def default_environment() -> str:
    return os.environ.get("LENDING_ENVIRONMENT") or "dev"


def cloudwatch_requested() -> bool:
    return os.environ.get("LENDING_METRICS_CLOUDWATCH", "").lower() in {"1", "true", "yes"}


def record(
    run_results: Path | None,
    query: Query | None,
    schema: str,
    manifest: Path,
    *,
    output: Path,
    environment: str,
    cloudwatch: bool,
    sources: Path | None = None,
) -> list[dict]:
    """Collect one build's metrics, append them to `output` and optionally publish them."""
    marts = settings.public_mart_schemas(manifest) if manifest.exists() else {}
    data, invocation_id = collect(run_results, query, schema, marts, sources)
    lines = records(data, environment, invocation_id)
    append(lines, output)
    if cloudwatch:
        publish_to_cloudwatch(lines)
    return lines


def record_build(run_results: Path | None, database: Path, target: Path) -> None:
    """What `lending-build` calls after every build, passed or failed: append the metrics
    to target/run_metrics.jsonl and, when LENDING_METRICS_CLOUDWATCH is set, publish them.
    A problem here is reported, but never changes the build's outcome."""
    output = target / "run_metrics.jsonl"
    try:
        lines = record(
            run_results,
            duckdb_query(database) if database.exists() else None,
            DUCKDB_SCHEMA,
            target / "manifest.json",
            output=output,
            environment=default_environment(),
            cloudwatch=cloudwatch_requested(),
        )
    except (MetricsError, duckdb.Error, OSError) as error:
        print(f"Run metrics not recorded: {error}", file=sys.stderr)
        return
    print(f"Run metrics: {len(lines)} values appended to {output}.")


def main(argv: list[str] | None = None) -> int:
    target = settings.target_path()
    parser = cli.parser(
        "lending-metrics",
        __doc__,
        epilog="Example: lending-metrics --duckdb data/lending_research.duckdb",
        parents=[
            settings.path_option(
                "--run-results",
                "dbt's run results; a missing file means the build stopped before dbt",
            )
        ],
    )
    parser.add_argument(
        "--sources", type=Path, help="dbt's sources.json from `dbt source freshness`, if it ran"
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=target / "manifest.json",
        help="dbt's manifest, for the list of public marts (default: %(default)s)",
    )
    warehouse = parser.add_mutually_exclusive_group()
    warehouse.add_argument(
        "--duckdb", type=Path, help="read the marts from this DuckDB file (the dev target)"
    )
    warehouse.add_argument(
        "--target", help="read the marts through dbt's connection to this target (e.g. prod)"
    )
    parser.add_argument(
        "--environment",
        default=default_environment(),
        help="value of the Environment dimension (default: $LENDING_ENVIRONMENT or dev)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=target / "run_metrics.jsonl",
        help="JSON Lines file the metrics are appended to (default: %(default)s)",
    )
    parser.add_argument(
        "--cloudwatch",
        action="store_true",
        default=cloudwatch_requested(),
        help="also publish to CloudWatch (default: on when LENDING_METRICS_CLOUDWATCH=true)",
    )
    args = parser.parse_args(argv)
    try:
        if args.target:
            query, schema = dbt_query(args.target)
        else:
            database = args.duckdb or settings.duckdb_path()
            query, schema = (duckdb_query(database) if database.exists() else None), DUCKDB_SCHEMA
        lines = record(
            args.run_results,
            query,
            schema,
            args.manifest,
            output=args.output,
            environment=args.environment,
            cloudwatch=args.cloudwatch,
            sources=args.sources,
        )
    except (MetricsError, duckdb.Error, OSError) as error:
        return cli.fail(parser.prog, error)
    where = f"{args.output}" + (f" and CloudWatch ({NAMESPACE})" if args.cloudwatch else "")
    print(f"Run metrics: {len(lines)} values to {where}.")
    for line in lines:
        dims = ", ".join(f"{k}={v}" for k, v in line["dimensions"].items() if k != "Environment")
        print(f"  {line['name']:<22} {line['value']:>12g}  {dims}")
    return 0
