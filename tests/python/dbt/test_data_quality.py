"""Data quality end to end: injected defects are quarantined for the right reason,
nothing is lost, the threshold policy holds, structural faults stop the build with a
clear message, and builds are repeatable and serialised. (The secret scan is tested in
tests/python/checks/test_secrets.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import (
    PROJECT_ROOT,
    build_env,
    command,
    mart_fingerprints,
    run_build,
    run_dbt,
    run_generator,
)
from lending.checks import raw_structure
from lending.generator.defects import (
    DEMOGRAPHIC_DEFECTS,
    INDICATOR_DEFECTS,
    LOAN_DEFECTS,
    TRANSACTION_DEFECTS,
)

DIRTY_TRANSACTIONS = 6_000
DEFECT_RATE = "0.02"
# The quarantine, in a schema of its own (the engineers' role's, on Redshift).
REJECTED_TABLES = {
    "transactions": "main_quarantine.fct_rejected_transactions",
    "economic_indicators": "main_quarantine.fct_rejected_economic_indicators",
    "demographics": "main_quarantine.fct_rejected_demographics",
    "loans": "main_quarantine.fct_rejected_loans",
}


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    """A dataset with every kind of defect, built with the threshold raised so the build
    completes (the default threshold's verdict is tested separately): to 1, as a year of
    the loans' opening book may hold one loan, all of it rejected when it is defective."""
    root = tmp_path_factory.mktemp("dirty")
    generated = run_generator(
        "--transactions",
        str(DIRTY_TRANSACTIONS),
        "--defect-rate",
        DEFECT_RATE,
        "--seed",
        "5",
        "--output",
        str(root / "raw"),
    )
    assert generated.returncode == 0, generated.stderr
    env = build_env(dbt_env, root / "raw", root)
    result = run_build("--vars", "{max_rejected_share: 1}", env=env)
    return {"root": root, "raw": root / "raw", "env": env, "result": result}


def injected(raw: Path) -> set[tuple[str, int, str]]:
    table = pq.read_table(raw / "_injected_defects.parquet")
    return set(
        zip(
            table["source_file"].to_pylist(),
            table["source_row_number"].to_pylist(),
            table["rejection_reason"].to_pylist(),
            strict=True,
        )
    )


def rejected(database: Path) -> set[tuple[str, int, str]]:
    rows: set[tuple[str, int, str]] = set()
    with duckdb.connect(str(database), read_only=True) as con:
        for table in REJECTED_TABLES.values():
            rows |= set(
                con.execute(
                    f"select source_file, source_row_number, rejection_reasons from {table}"
                ).fetchall()
            )
    return rows


@pytest.mark.slow
def test_dirty_data_builds_with_a_warning(dirty: dict) -> None:
    result = dirty["result"]
    assert result.returncode == 0, result.stdout[-5000:]
    assert "ERROR=0" in result.stdout
    assert "WARN=1" in result.stdout  # warn_when_rows_are_rejected
    assert "WARN  warn_when_rows_are_rejected" in result.stdout
    assert re.search(r"[a-z_]+ \d{4}-\d\d: \d+ of [\d,]+ rows rejected", result.stdout)


@pytest.mark.slow
def test_every_kind_of_defect_was_injected(dirty: dict) -> None:
    reasons: dict[str, set[str]] = {}
    for source_file, _, reason in injected(dirty["raw"]):
        reasons.setdefault(source_file.split("/")[0], set()).add(reason)
    assert reasons == {
        "transactions": set(TRANSACTION_DEFECTS),
        "economic_indicators": set(INDICATOR_DEFECTS),
        "demographics": set(DEMOGRAPHIC_DEFECTS),
        "loans": set(LOAN_DEFECTS),
    }


@pytest.mark.slow
def test_every_injected_row_is_quarantined_for_its_reason_and_no_other(dirty: dict) -> None:
    expected = injected(dirty["raw"])
    actual = rejected(dirty["root"] / "warehouse.duckdb")
    assert actual - expected == set(), "rows rejected that were not injected (or wrong reason)"
    assert expected - actual == set(), "injected rows not quarantined under their reason"


@pytest.mark.slow
def test_raw_rows_equal_valid_facts_plus_rejected_rows_per_month(dirty: dict) -> None:
    manifest = json.loads((dirty["raw"] / "_manifest.json").read_text())
    with duckdb.connect(str(dirty["root"] / "warehouse.duckdb"), read_only=True) as con:
        per_month = con.execute(
            """
            select
                raw.partition_year, raw.partition_month, raw.raw_rows,
                coalesce(facts.fact_rows, 0), coalesce(quarantine.rejected_rows, 0)
            from (
                select partition_year, partition_month, count(*) as raw_rows
                from main_staging.stg_bank__transactions group by all
            ) as raw
            left join (
                select year(month_start_date) as partition_year,
                    month(month_start_date) as partition_month, count(*) as fact_rows
                from fct_transactions group by all
            ) as facts using (partition_year, partition_month)
            left join (
                select partition_year, partition_month, count(*) as rejected_rows
                from main_quarantine.fct_rejected_transactions group by all
            ) as quarantine using (partition_year, partition_month)
            """
        ).fetchall()
        total_facts = con.execute("select count(*) from fct_transactions").fetchone()[0]
    assert len(per_month) == 68
    for year, month, raw_rows, facts, rejected_rows in per_month:
        assert raw_rows == facts + rejected_rows, f"{year}-{month:02}"
    assert sum(raw for _, _, raw, _, _ in per_month) == manifest["rows"]["transactions"]
    assert total_facts == sum(facts for _, _, _, facts, _ in per_month)
    statuses = {
        r["unique_id"].split(".")[-1]: r["status"]
        for r in json.loads((dirty["root"] / "target" / "run_results.json").read_text())["results"]
    }
    for test in (
        "assert_raw_transactions_equal_valid_plus_rejected",
        "assert_raw_indicators_equal_valid_plus_rejected",
        "assert_raw_demographics_equal_valid_plus_rejected",
        "assert_raw_loans_equal_valid_plus_rejected",
        "assert_every_rejection_reason_is_documented",
    ):
        assert statuses[test] == "pass", test


@pytest.mark.slow
def test_rejections_over_the_threshold_fail_the_build_naming_month_and_reasons(
    dirty: dict, tmp_path: Path
) -> None:
    env = dict(dirty["env"])
    env.update(DBT_DUCKDB_PATH=str(tmp_path / "strict.duckdb"), DBT_TARGET_PATH=str(tmp_path))
    result = run_build(env=env)  # the default threshold: 1% of a month's rows
    assert result.returncode == 1
    assert "FAIL  assert_rejected_share_within_threshold" in result.stdout
    # Demographics get one defect a year among ten rows: 10%, over the threshold.
    assert re.search(
        r"demographics \d{4}-01: 1 of 1[01] rows rejected \(\d+\.\d%\) for \w+", result.stdout
    )
    with duckdb.connect(str(tmp_path / "strict.duckdb"), read_only=True) as con:
        over = con.execute(
            "select count(*) from main_audit.fct_data_quality_monthly where exceeds_threshold"
        ).fetchone()[0]
    assert over > 0


# Structural faults: each breaks one file of a copy of the small clean dataset.
def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not parquet" * 100)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _rewrite(path: Path, change: object) -> None:
    table = pq.read_table(path)
    pq.write_table(change(table), path)  # type: ignore[operator]


STRUCTURAL_FAULTS = {
    "corrupt file": (
        "transactions/year=2021/month=05/part-0.parquet",
        _corrupt,
        "cannot be read as Parquet",
    ),
    "truncated file": (
        "economic_indicators/year=2020/part-0.parquet",
        _truncate,
        "corrupt or truncated",
    ),
    "missing column": (
        "transactions/year=2022/month=01/part-0.parquet",
        lambda p: _rewrite(p, lambda t: t.drop_columns(["currency_code"])),
        "column currency_code missing",
    ),
    "renamed column": (
        "transactions/year=2022/month=02/part-0.parquet",
        lambda p: _rewrite(
            p, lambda t: t.rename_columns(["amt" if c == "amount" else c for c in t.column_names])
        ),
        "column amount missing (the file has amt instead: renamed?)",
    ),
    "changed type": (
        "transactions/year=2022/month=03/part-0.parquet",
        lambda p: _rewrite(
            p,
            lambda t: t.set_column(
                t.column_names.index("amount"), "amount", t["amount"].cast(pa.float64())
            ),
        ),
        "column amount is double, expected decimal(18,2)",
    ),
    "empty partition": (
        "transactions/year=2023/month=07/part-0.parquet",
        lambda p: p.unlink(),
        "empty partition, no Parquet file in it",
    ),
    "empty file": (
        "demographics/year=2021/part-0.parquet",
        lambda p: _rewrite(p, lambda t: t.slice(0, 0)),
        "the file has no rows",
    ),
    "stray file": (
        "transactions/year=2020/month=04/part-0.parquet",
        lambda p: p.with_name("notes.txt").write_text("re-sent on Monday"),
        "notes.txt: stray file",
    ),
}


@pytest.mark.parametrize("fault", list(STRUCTURAL_FAULTS))
def test_each_structural_fault_is_named_with_its_place_and_remedy(
    fault: str, default_dataset: Path, tmp_path: Path
) -> None:
    """The check dbt runs before any model (its on-run-start hook calls this function)."""
    relative, damage, message = STRUCTURAL_FAULTS[fault]
    raw = tmp_path / "raw"
    shutil.copytree(default_dataset, raw)
    damage(raw / relative)

    (problem,) = raw_structure.problems(raw, raw_structure.load_tables())

    assert message in problem
    assert str(raw / relative.rsplit("/", 1)[0]) in problem  # names the place


def test_a_partition_named_in_non_ascii_digits_is_refused(
    default_dataset: Path, tmp_path: Path
) -> None:
    """Python's \\d matches every script's digits: a full-width year would pass it."""
    raw = tmp_path / "raw"
    shutil.copytree(default_dataset, raw)
    full_width = raw / "demographics" / "year=\uff12\uff10\uff12\uff12"
    (raw / "demographics" / "year=2022").rename(full_width)

    (problem,) = raw_structure.problems(raw, raw_structure.load_tables())

    assert problem.startswith(f"{full_width}: unexpected folder")
    assert "partitions of demographics are named year=YYYY" in problem


@pytest.mark.slow
def test_a_bare_dbt_build_stops_on_a_retyped_column_before_any_model(
    small_build: dict, tmp_path: Path
) -> None:
    relative, damage, message = STRUCTURAL_FAULTS["changed type"]
    raw = tmp_path / "raw"
    shutil.copytree(small_build["raw"], raw)
    damage(raw / relative)
    env = dict(small_build["env"], BANK_RAW_DATA_PATH=str(raw))

    result = run_dbt("build", env=env)

    assert result.returncode != 0
    assert f"{raw / relative}: {message}" in result.stdout
    assert "no model was built, so the marts are unchanged" in result.stdout
    assert " START sql " not in result.stdout
    assert mart_fingerprints(small_build["database"]) == small_build["fingerprints"]


@pytest.mark.slow
def test_make_build_explains_a_corrupt_file(small_build: dict, tmp_path: Path) -> None:
    relative, damage, message = STRUCTURAL_FAULTS["corrupt file"]
    raw = tmp_path / "raw"
    shutil.copytree(small_build["raw"], raw)
    damage(raw / relative)

    result = run_build(env=dict(small_build["env"], BANK_RAW_DATA_PATH=str(raw)))

    assert result.returncode != 0
    assert f"{raw / relative}: {message}" in result.stdout
    assert "dbt stopped before building anything" in result.stdout
    assert mart_fingerprints(small_build["database"]) == small_build["fingerprints"]


@pytest.mark.slow
def test_a_missing_month_folder_is_flagged(small_build: dict, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(small_build["raw"], raw)
    shutil.rmtree(raw / "transactions" / "year=2022" / "month=09")
    env = dict(
        small_build["env"],
        BANK_RAW_DATA_PATH=str(raw),
        DBT_DUCKDB_PATH=str(tmp_path / "gap.duckdb"),
        DBT_TARGET_PATH=str(tmp_path / "target"),
    )
    result = run_build(env=env)
    assert "WARN  warn_when_a_transaction_month_is_missing" in result.stdout
    assert "month_start_date=2022-09-01" in result.stdout
    # The loans paid out that month are gone too, so their payments six months later (loans
    # are serviced semi-annually) are rejected as loan_never_disbursed, enough of them to
    # stop the build: the gap cannot go unseen.
    assert result.returncode == 1
    assert re.search(r"transactions 2023-03: .* for .*loan_never_disbursed", result.stdout)


@pytest.mark.slow
def test_builds_wait_for_each_other_and_give_identical_marts(small_build: dict) -> None:
    lock = small_build["database"].with_name(small_build["database"].name + ".lock")
    first = subprocess.Popen(
        [command("lending-build")], env=small_build["env"], cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while f"pid {first.pid}" not in (lock.read_text() if lock.exists() else ""):
        assert first.poll() is None, first.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "the first build never took the lock"
        time.sleep(0.05)
    second = run_build(env=small_build["env"])
    first_output = first.communicate(timeout=900)[0]

    assert first.returncode == 0, first_output[-3000:]
    assert second.returncode == 0, second.stdout[-3000:]
    assert f"Another build (pid {first.pid}, building)" in second.stdout
    assert "waiting for it to finish" in second.stdout
    assert mart_fingerprints(small_build["database"]) == small_build["fingerprints"]


@pytest.mark.slow
def test_a_plain_dbt_build_against_a_locked_warehouse_fails_clearly(small_build: dict) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
            "print('holding', flush=True); sys.stdin.read()",
            str(small_build["database"]),
        ],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = run_dbt("build", "--select", "dim_sectors", env=small_build["env"])
    finally:
        holder.communicate(input="", timeout=60)
    assert result.returncode != 0
    assert "Could not set lock on file" in result.stdout
    assert str(small_build["database"]) in result.stdout
    # The warehouse is intact and usable once the other process lets go.
    assert mart_fingerprints(small_build["database"]) == small_build["fingerprints"]


@pytest.mark.slow
def test_freshness_judges_each_source_by_its_own_cadence(small_build: dict) -> None:
    result = run_dbt("source", "freshness", env=small_build["env"])
    sources = json.loads((small_build["root"] / "target" / "sources.json").read_text())
    verdicts = {r["unique_id"].split(".")[-1]: r for r in sources["results"]}
    assert set(verdicts) == {"transactions", "economic_indicators", "demographics", "loans"}
    assert verdicts["transactions"]["max_loaded_at"].startswith("2024-08-3")
    assert verdicts["economic_indicators"]["max_loaded_at"].startswith("2024-08-01")
    assert verdicts["demographics"]["max_loaded_at"].startswith("2024-12-31")
    # The loans file: the latest agreement signed by the extract's end.
    assert verdicts["loans"]["max_loaded_at"].startswith("2024-")
    for name, verdict in verdicts.items():
        # The sample is historical: whatever today is, each verdict follows the age and
        # that source's thresholds (monthly deliveries: weeks; demographics: a year+).
        age_days = verdict["max_loaded_at_time_ago_in_s"] / 86_400
        criteria = verdict["criteria"]
        expected = (
            "error" if age_days > criteria["error_after"]["count"]
            else "warn" if age_days > criteria["warn_after"]["count"]
            else "pass"
        )  # fmt: skip
        assert verdict["status"] == expected, name
    assert verdicts["transactions"]["status"] == "error"  # two years old by now
    assert verdicts["transactions"]["criteria"]["error_after"] == {"count": 75, "period": "day"}
    assert result.returncode == 1
    assert "ERROR STALE freshness of bank.transactions" in result.stdout


def test_defective_datasets_are_reproducible_too(tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = run_generator(
            "--transactions", "2000", "--defect-rate", "0.05", "--output", str(tmp_path / name)
        )
        assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    assert files
    for relative in files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()


@pytest.mark.slow
def test_the_history_check_finds_a_bad_row_of_an_earlier_run(
    small_build: dict, tmp_path: Path
) -> None:
    """The data tests of an incremental model read the latest run's rows; a row an earlier
    run wrote, broken since, is found by `make check-history` (--vars check_history),
    which reads every row."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copy2(small_build["database"], database)
    with duckdb.connect(str(database)) as con:
        con.execute(
            """
            update main_intermediate.int_transaction_validations
            set is_valid = not is_valid, validated_at = validated_at - interval 31 day
            where source_row_number = 1
                and source_file = (
                    select min(source_file) from main_intermediate.int_transaction_validations
                )
            """
        )
    env = dict(
        small_build["env"],
        DBT_DUCKDB_PATH=str(database),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
    )
    select = ("test", "--select", "int_transaction_validations,test_type:data")
    assert run_dbt(*select, env=env).returncode == 0  # the latest run's rows are fine
    history = run_dbt(*select, "--vars", "{check_history: true}", env=env)
    assert history.returncode == 1
    failed = re.findall(r"Failure in test (\S+)", history.stdout)
    assert failed and all("int_transaction_validations" in name for name in failed), failed
    assert any(name.startswith("column_checks_") for name in failed), failed
