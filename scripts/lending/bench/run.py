"""Benchmark the platform against the floor and the alternatives, side by side.

For each size (transactions), in several rounds, alternating the systems within a round:

  generator     lending-generate writing the dataset
  full build    `dbt build --full-refresh` into an empty DuckDB file: wall time split
                into dbt's fixed start-up (before the first node), models and tests
                (wall time covered by model / test nodes, from run_results.json)
  incremental   the same warehouse, the dataset with one more month (--append-month):
                `dbt build`, which processes that month only
  floor         one hand-written DuckDB query computing the country-month aggregates
                straight from the Parquet
  pandas+sqlite the reference system's way: pandas reads the Parquet, loads SQLite, and
                SQLite computes the aggregates
  pandas        the same aggregates with pandas alone

Every system's country-month numbers (transactions, settled, completed, completed USD
volume) are checked against the mart's. Prints the medians, peak memory (maximum resident
set of the process) and the ratios, and writes everything to a JSON file.

This measures; it asserts nothing about speed. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lending.settings import PROJECT_ROOT

PYTHON = sys.executable
DBT = str(Path(sys.executable).with_name("dbt"))
GENERATOR = [PYTHON, "-m", "lending.generator.cli"]
SYSTEMS = ("generator", "full build", "incremental", "floor", "pandas+sqlite", "pandas")
# The aggregates every system computes, per country and calendar month.
COMPARED = ("transaction_count", "settled_count", "completed_count", "volume_usd")


@dataclass
class Run:
    seconds: float
    peak_mib: float
    detail: dict[str, float] = field(default_factory=dict)


def run_measured(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of one child process (and its own children)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(command)} failed:\n{output[-4000:]}")
    return Run(seconds=seconds, peak_mib=usage.ru_maxrss / 1024)


# --- the competing computations, each run in a fresh process -------------------------------

FLOOR_SQL = """
with transactions as (
    select * from read_parquet('{raw}/transactions/**/*.parquet', hive_partitioning = true)
),
rates as (
    select country_code, reference_month, indicator_value as local_per_usd
    from read_parquet('{raw}/economic_indicators/**/*.parquet', hive_partitioning = true)
    where indicator_code = 'exchange_rate'
)
select
    t.country_code,
    cast(date_trunc('month', t.transaction_at) as date) as month_start_date,
    count(*) as transaction_count,
    count(*) filter (where t.status <> 'pending') as settled_count,
    count(*) filter (where t.status = 'completed') as completed_count,
    coalesce(sum(cast(t.amount / r.local_per_usd as decimal(18, 2)))
        filter (where t.status = 'completed'), 0) as volume_usd
from transactions as t
join rates as r
    on r.country_code = t.country_code
    and r.reference_month = cast(date_trunc('month', t.transaction_at) as date)
group by all
"""


def floor(raw: Path, output: Path) -> None:
    import duckdb

    with duckdb.connect() as con:
        con.execute(f"copy ({FLOOR_SQL.format(raw=raw)}) to '{output}' (format parquet)")


def load_frames(raw: Path) -> tuple:
    import pandas as pd
    import pyarrow.dataset as ds

    transactions = ds.dataset(raw / "transactions", format="parquet", partitioning="hive")
    frame = transactions.to_table(
        columns=["country_code", "status", "amount", "transaction_at"]
    ).to_pandas()
    frame["amount"] = frame["amount"].astype("float64")
    rates = ds.dataset(raw / "economic_indicators", format="parquet", partitioning="hive")
    rate_frame = rates.to_table(
        columns=["country_code", "indicator_code", "reference_month", "indicator_value"]
    ).to_pandas()
    rate_frame = rate_frame[rate_frame["indicator_code"] == "exchange_rate"]
    rate_frame["reference_month"] = pd.to_datetime(rate_frame["reference_month"])
    return frame, rate_frame


def pandas_only(raw: Path, output: Path) -> None:
    frame, rates = load_frames(raw)
    frame["month_start_date"] = frame["transaction_at"].dt.to_period("M").dt.to_timestamp()
    frame = frame.merge(
        rates.rename(columns={"reference_month": "month_start_date"}),
        on=["country_code", "month_start_date"],
    )
    frame["settled"] = frame["status"] != "pending"
    frame["completed"] = frame["status"] == "completed"
    frame["usd"] = (
        (frame["amount"] / frame["indicator_value"]).round(2).where(frame["completed"], 0.0)
    )
    result = (
        frame.groupby(["country_code", "month_start_date"])
        .agg(
            transaction_count=("status", "size"),
            settled_count=("settled", "sum"),
            completed_count=("completed", "sum"),
            volume_usd=("usd", "sum"),
        )
        .reset_index()
    )
    result.to_parquet(output)


def pandas_sqlite(raw: Path, output: Path) -> None:
    import sqlite3

    import pandas as pd

    frame, rates = load_frames(raw)
    frame["transaction_at"] = frame["transaction_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    rates["reference_month"] = rates["reference_month"].dt.strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory() as folder:
        con = sqlite3.connect(Path(folder) / "reference.sqlite")
        frame.to_sql("transactions", con, index=False, chunksize=100_000)
        rates.to_sql("rates", con, index=False)
        result = pd.read_sql(
            """
            select
                t.country_code,
                substr(t.transaction_at, 1, 7) || '-01' as month_start_date,
                count(*) as transaction_count,
                sum(t.status <> 'pending') as settled_count,
                sum(t.status = 'completed') as completed_count,
                sum(case when t.status = 'completed'
                    then round(t.amount / r.indicator_value, 2) else 0 end) as volume_usd
            from transactions as t
            join rates as r
                on r.country_code = t.country_code
                and r.reference_month = substr(t.transaction_at, 1, 7) || '-01'
            group by 1, 2
            """,
            con,
        )
        con.close()
    result["month_start_date"] = pd.to_datetime(result["month_start_date"])
    result.to_parquet(output)


COMPUTATIONS = {"floor": floor, "pandas": pandas_only, "pandas+sqlite": pandas_sqlite}


# --- dbt ---------------------------------------------------------------------------------


def dbt_env(raw: Path, work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DO_NOT_TRACK="1",
        DBT_PROFILES_DIR=str(PROJECT_ROOT),
        BANK_RAW_DATA_PATH=str(raw),
        DBT_DUCKDB_PATH=str(work / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
    )
    return env


def covered_seconds(intervals: list[tuple[float, float]]) -> float:
    """Wall time covered by possibly overlapping intervals."""
    covered, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if start > end:
            covered += stop - start
            end = stop
        elif stop > end:
            covered += stop - end
            end = stop
    return covered


def dbt_split(run: Run, run_results: Path) -> Run:
    results = json.loads(run_results.read_text())
    spans: dict[str, list[tuple[float, float]]] = {"models": [], "tests": []}
    for result in results["results"]:
        kind = result["unique_id"].split(".")[0]
        group = "models" if kind in {"model", "seed"} else "tests"
        for timing in result["timing"]:
            if timing["name"] == "execute" and timing["started_at"]:
                spans[group].append(
                    (
                        datetime.fromisoformat(timing["started_at"]).timestamp(),
                        datetime.fromisoformat(timing["completed_at"]).timestamp(),
                    )
                )
    run.detail = {
        "startup": run.seconds - results["elapsed_time"],
        "models": covered_seconds(spans["models"]),
        "tests": covered_seconds(spans["tests"]),
    }
    return run


def dbt_build(raw: Path, work: Path, *args: str) -> Run:
    env = dbt_env(raw, work)
    run = run_measured([DBT, "build", "--vars", "{max_rejected_share: 1}", *args], env=env)
    return dbt_split(run, work / "target" / "run_results.json")


# --- checking that everyone agrees -----------------------------------------------------------


def mart_numbers(database: Path) -> dict[tuple[str, str], tuple]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            f"select country_code, cast(month_start_date as varchar), {', '.join(COMPARED)} "
            "from fct_country_monthly where transaction_count > 0"
        ).fetchall()
    return {(r[0], r[1]): tuple(float(v) for v in r[2:]) for r in rows}


def parquet_numbers(path: Path) -> dict[tuple[str, str], tuple]:
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pylist()
    return {
        (row["country_code"], str(row["month_start_date"])[:10]): tuple(
            float(row[column]) for column in COMPARED
        )
        for row in table
    }


def assert_same(expected: dict, actual: dict, system: str) -> None:
    if expected.keys() != actual.keys():
        raise SystemExit(f"benchmark: {system} has other country-months than the mart")
    for key, numbers in expected.items():
        theirs = actual[key]
        counts_match = numbers[:3] == theirs[:3]
        # Rounding each amount to cents can differ on an exact half cent between engines.
        volume_close = abs(numbers[3] - theirs[3]) <= 0.01 * numbers[0] + 0.01
        if not (counts_match and volume_close):
            raise SystemExit(
                f"benchmark: {system} differs from the mart at {key}: {theirs} vs {numbers}"
            )


# --- the benchmark ---------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().upper().replace("_", "")
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * factor)


def benchmark_size(size: int, rounds: int, work: Path) -> dict:
    print(f"\n== {size:,} transactions, {rounds} rounds", flush=True)
    # dbt reads the data through one path that points at the base dataset for the full
    # build and at the base plus one month for the incremental one: the same path, so
    # dbt's partial parsing holds, as it does for a user whose data folder gets a month.
    base, extended, current = work / "base", work / "plus_month", work / "raw"
    runs: dict[str, list[Run]] = {system: [] for system in SYSTEMS}
    for round_number in range(1, rounds + 1):
        shutil.rmtree(base, ignore_errors=True)
        runs["generator"].append(
            run_measured(
                [
                    *GENERATOR,
                    "--transactions",
                    str(size),
                    "--output",
                    str(base),
                    "--quiet",
                ]
            )
        )
        if round_number == 1:
            shutil.copytree(base, extended)
            run_measured([*GENERATOR, "--append-month", "2024-09",
                          "--output", str(extended), "--quiet"])  # fmt: skip
        (work / "warehouse.duckdb").unlink(missing_ok=True)
        point(current, base)
        runs["full build"].append(dbt_build(current, work, "--full-refresh"))
        expected = mart_numbers(work / "warehouse.duckdb")
        point(current, extended)
        runs["incremental"].append(dbt_build(current, work))
        for system in COMPUTATIONS:
            output = work / f"{system}.parquet"
            runs[system].append(
                run_measured(
                    [
                        PYTHON,
                        __file__,
                        "--compute",
                        system,
                        "--raw",
                        str(base),
                        "--out",
                        str(output),
                    ]
                )
            )
            assert_same(expected, parquet_numbers(output), system)
        print(
            f"  round {round_number}: "
            + ", ".join(f"{s} {runs[s][-1].seconds:.1f}s" for s in SYSTEMS),
            flush=True,
        )
    return summarize(size, runs)


def point(link: Path, target: Path) -> None:
    link.unlink(missing_ok=True)
    link.symlink_to(target, target_is_directory=True)


def summarize(size: int, runs: dict[str, list[Run]]) -> dict:
    medians = {
        system: {
            "seconds": statistics.median(r.seconds for r in system_runs),
            "peak_mib": max(r.peak_mib for r in system_runs),
            **{
                part: statistics.median(r.detail[part] for r in system_runs)
                for part in system_runs[0].detail
            },
        }
        for system, system_runs in runs.items()
    }
    full = medians["full build"]["seconds"]
    return {
        "transactions": size,
        "medians": medians,
        "ratios": {
            "full build / floor": full / medians["floor"]["seconds"],
            "pandas+sqlite / full build": medians["pandas+sqlite"]["seconds"] / full,
            "pandas / full build": medians["pandas"]["seconds"] / full,
            "incremental / full build": medians["incremental"]["seconds"] / full,
            "generator rows per second": size / medians["generator"]["seconds"],
        },
        "runs": {system: [asdict(r) for r in system_runs] for system, system_runs in runs.items()},
    }


def table(results: list[dict]) -> str:
    lines = [
        "| transactions | system | median s | peak MiB | detail |",
        "|---:|---|---:|---:|---|",
    ]
    for result in results:
        for system, median in result["medians"].items():
            detail = ", ".join(
                f"{k} {v:.1f}s" for k, v in median.items() if k not in {"seconds", "peak_mib"}
            )
            lines.append(
                f"| {result['transactions']:,} | {system} | {median['seconds']:.2f} | "
                f"{median['peak_mib']:,.0f} | {detail} |"
            )
    lines += ["", "| transactions | ratio | value |", "|---:|---|---:|"]
    for result in results:
        for name, value in result["ratios"].items():
            shown = f"{value:,.0f}" if "per second" in name else f"{value:.2f}"
            lines.append(f"| {result['transactions']:,} | {name} | {shown} |")
    return "\n".join(lines)


def machine() -> dict:
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024**2, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument(
        "--sizes", default="50K,1M,10M", help="transactions per size (default: %(default)s)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (default: 3)")
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks" / "results.json",
        help="where to write the results (default: benchmarks/results.json)",
    )  # fmt: skip
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--compute", choices=sorted(COMPUTATIONS), help=argparse.SUPPRESS)
    parser.add_argument("--raw", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compute:  # one competing computation, in its own process
        COMPUTATIONS[args.compute](args.raw, args.out)
        return 0

    sizes = [parse_size(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(dir=args.work) as folder:
        for size in sizes:
            work = Path(folder) / str(size)
            work.mkdir()
            results.append(benchmark_size(size, args.rounds, work))
            shutil.rmtree(work, ignore_errors=True)
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rounds": args.rounds,
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print("\n" + table(results))
    print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
