"""Borrower data: analysts' marts carry pseudonyms (the HMAC-SHA256 of the bank's id under a
key from the environment), never the identifier; distinct borrowers stay distinct; the key
reaches no table, SQL text, log or artifact; a new key republishes every pseudonym; a build
stops when its session cannot pseudonymise; and the raw rejected rows are published to the
engineers' quarantine schema, not the analysts'."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import (
    build_env,
    command,
    generated,
    run_build,
    run_command,
    run_offline_dbt,
)
from lending.pseudonyms import padded_keys

# The published rows beside the validations they show: the bank's ids and the pseudonyms.
PUBLISHED_ROWS = """
    from main.fct_transactions as published
    inner join main_intermediate.int_transaction_validations as validated
        on published.transaction_id = validated.transaction_pseudonym
        and published.validated_at = validated.validated_at
        and validated.is_valid
"""
PSEUDONYMS = f"select validated.borrower_id, published.borrower_id {PUBLISHED_ROWS} order by all"
IDENTIFIERS = f"""
    select validated.loan_id, published.loan_id, validated.transaction_id, published.transaction_id
    {PUBLISHED_ROWS}
"""


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def files_holding(root: Path, secret: bytes) -> list[Path]:
    """The files under `root`, the warehouse's own included, that hold `secret`."""
    return [path for path in root.rglob("*") if path.is_file() and secret in path.read_bytes()]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    """One warehouse built with a key, then rebuilt with another."""
    root = tmp_path_factory.mktemp("pseudonyms")
    generated(root / "raw", "--transactions", "2000", "--seed", "9")
    first, second = secrets.token_hex(32), secrets.token_urlsafe(40)
    env = build_env(dbt_env, root / "raw", root)
    builds = {}
    for key in (first, second):
        built = run_build(
            "--exclude-resource-type", "unit_test", env=dict(env, LENDING_PSEUDONYMISATION_KEY=key)
        )
        assert built.returncode == 0, built.stdout[-4000:]
        builds[key] = {
            "pairs": query(root / "warehouse.duckdb", PSEUDONYMS),
            "stdout": built.stdout,
        }
    # A third key, in a build that fails (every month over a rejection threshold below zero)
    # and so publishes nothing: every partition is validated again with it, and the audit
    # copy shows its pseudonyms, but what analysts read keeps the published ones.
    third = secrets.token_hex(32)
    failed = run_build(
        "--exclude-resource-type", "unit_test", "--vars", "{max_rejected_share: -1}",
        env=dict(env, LENDING_PSEUDONYMISATION_KEY=third),
    )  # fmt: skip
    assert "Marts NOT published" in failed.stdout, failed.stdout[-4000:]
    return {
        "root": root,
        "keys": (first, second),
        "unpublished_key": third,
        "builds": builds,
        "unpublished": query(root / "warehouse.duckdb", PSEUDONYMS),
        "audited": query(root / "warehouse.duckdb", PSEUDONYMS.replace("main.", "main_audit.")),
    }


def keyed_hash(key: str, bank_id: int, domain: str = "borrower") -> str:
    return hmac.new(key.encode(), f"{domain}|{bank_id}".encode(), hashlib.sha256).hexdigest()


@pytest.mark.slow
def test_borrower_ids_are_the_keyed_hash_of_the_banks_id(keyed: dict) -> None:
    key = keyed["keys"][0]
    pairs = keyed["builds"][key]["pairs"]
    assert len(pairs) == 2000
    for bank_id, pseudonym in pairs:
        assert pseudonym == keyed_hash(key, bank_id)


@pytest.mark.slow
def test_loans_and_transactions_are_keyed_hashes_under_domains_of_their_own(keyed: dict) -> None:
    """The published key's (the second: the third build failed), each identifier under its
    own domain, so a loan's pseudonym is never a borrower's of the same number."""
    key = keyed["keys"][1]
    rows = query(keyed["root"] / "warehouse.duckdb", IDENTIFIERS)
    assert len(rows) == 2000
    for loan_id, loan, transaction_id, transaction in rows:
        assert loan == keyed_hash(key, loan_id, "loan")
        assert transaction == keyed_hash(key, transaction_id, "transaction")
    borrowers = {pseudonym for _, pseudonym in keyed["unpublished"]}
    assert not borrowers & {loan for _, loan, _, _ in rows}


@pytest.mark.slow
def test_distinct_borrowers_stay_distinct(keyed: dict) -> None:
    for build in keyed["builds"].values():
        pairs = build["pairs"]
        assert (
            len({bank_id for bank_id, _ in pairs}) == len({p for _, p in pairs}) == len(set(pairs))
        )
        # The key tests of the pseudonym table say the same, in the build.
        assert "PASS primary_key_borrower_pseudonyms" in build["stdout"]


@pytest.mark.slow
def test_a_new_key_gives_every_borrower_a_new_pseudonym(keyed: dict) -> None:
    """Every month, not only those validated again: the mart is republished whole."""
    first, second = (dict(keyed["builds"][key]["pairs"]) for key in keyed["keys"])
    assert first.keys() == second.keys()
    assert all(first[bank_id] != second[bank_id] for bank_id in first)


@pytest.mark.slow
def test_a_key_reaches_analysts_only_with_a_build_that_publishes(keyed: dict) -> None:
    """Pseudonyms are stored with the validation of each month: the published
    fct_transactions shows the versions last published, the audit copy those of the build
    in progress."""
    assert keyed["unpublished"] == keyed["builds"][keyed["keys"][1]]["pairs"]
    audited = keyed["audited"]
    assert len(audited) == 2000
    assert all(pseudonym == keyed_hash(keyed["unpublished_key"], i) for i, pseudonym in audited)


@pytest.mark.slow
def test_the_key_is_in_no_table_sql_text_log_or_artifact(keyed: dict) -> None:
    """Neither the key nor its padded forms (what the session is handed), as text or
    bytes, in any file of the build: the DuckDB warehouse, compiled SQL, logs, artifacts."""
    root = keyed["root"]
    for key in (*keyed["keys"], keyed["unpublished_key"]):
        secrets_written = [key.encode(), *padded_keys(key)]
        secrets_written += [padded.hex().encode() for padded in padded_keys(key)]
        for secret in secrets_written:
            assert files_holding(root, secret) == []
    # The schema that held it before (issue 25) is not made again.
    assert not query(
        root / "warehouse.duckdb",
        "select schema_name from information_schema.schemata where schema_name like '%private'",
    )


@pytest.mark.slow
def test_a_weak_key_stops_dbt_before_any_sql(tmp_path: Path, dbt_env: dict[str, str]) -> None:
    """The plugin checks the key when dbt loads the profile (lending.pseudonyms)."""
    key = "a" * 64
    result = run_command(
        command("dbt"), "build", "--select", "dim_countries",
        "--target-path", tmp_path / "target", "--log-path", tmp_path / "logs",
        env=dict(dbt_env, LENDING_PSEUDONYMISATION_KEY=key,
                 DBT_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb")),
    )  # fmt: skip
    assert result.returncode != 0
    assert "must be 256 bits or more drawn at random" in result.stdout, result.stdout[-2000:]
    assert key not in result.stdout
    assert not (tmp_path / "warehouse.duckdb").exists() or not query(
        tmp_path / "warehouse.duckdb", "select * from information_schema.tables"
    )


def compile_for_prod(tmp_path: Path, sql: str, **env: str) -> subprocess.CompletedProcess:
    """`dbt compile --inline` for prod, offline: no Redshift to reach here."""
    return run_offline_dbt(
        "compile", "--no-introspect", "--no-populate-cache", "--inline", sql,
        output=tmp_path, **env,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("", "REDSHIFT_PSEUDONYM_FUNCTION is not set: it names the Lambda function"),
        ("pseudonymisation.x(1); drop table y; --", "REDSHIFT_PSEUDONYM_FUNCTION must be"),
        ("pseudonym_production", "REDSHIFT_PSEUDONYM_FUNCTION must be a function named"),
    ],
    ids=["missing", "hostile", "no-schema"],
)
def test_redshift_refuses_to_pseudonymise_without_its_function(
    tmp_path: Path, function: str, message: str
) -> None:
    result = compile_for_prod(
        tmp_path, """select {{ pseudonym("'loan|1'") }}""", REDSHIFT_PSEUDONYM_FUNCTION=function
    )
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-2000:]


@pytest.mark.slow
def test_redshift_pseudonymises_with_its_lambda_function(tmp_path: Path) -> None:
    result = compile_for_prod(
        tmp_path, """select {{ pseudonym("'loan|1'") }}""",
        REDSHIFT_PSEUDONYM_FUNCTION="pseudonymisation.pseudonym_ci",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]
    assert "pseudonymisation.pseudonym_ci(cast('loan|1' as varchar(256)))" in result.stdout


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    parsed_in = tmp_path_factory.mktemp("parsed")
    parsed = run_offline_dbt("parse", output=parsed_in)
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    return json.loads((parsed_in / "target" / "manifest.json").read_text())


def public_marts(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    ]


CLASSIFICATIONS = ("identifier", "quasi_identifier", "public")


def classification_problems(manifest: dict) -> list[str]:
    """What breaks the rules of the columns' classification (meta `classification`): every
    column of every mart is classified; an identifier (a borrower, loan or transaction, or
    a pointer to the delivered row) reaches the analysts' role only as a pseudonym; a mart
    with identifiers in clear is the engineers' alone."""
    problems = []
    for node in public_marts(manifest):
        readers = node["config"]["grants"]["select"]
        for name, column in node["columns"].items():
            where = f"{node['name']}.{name}"
            classification = column["meta"].get("classification")
            if classification not in CLASSIFICATIONS:
                problems.append(f"{where} is not classified")
            elif classification != "identifier":
                continue
            elif "role:analysts" in readers and not (
                column["meta"].get("pseudonymised") is True and column["data_type"] == "varchar(64)"
            ):
                problems.append(f"{where} is an identifier in clear for the analysts")
            elif not column["meta"].get("pseudonymised") and readers != ["role:engineers"]:
                problems.append(f"{where} is an identifier in clear for {readers}")
    return problems


@pytest.mark.slow
def test_every_marts_columns_are_classified_and_analysts_see_identifiers_as_pseudonyms(
    manifest: dict,
) -> None:
    analysts = [
        n for n in public_marts(manifest) if "role:analysts" in n["config"]["grants"]["select"]
    ]
    assert {n["name"] for n in analysts} >= {"fct_transactions", "fct_country_monthly"}
    assert classification_problems(manifest) == []


@pytest.mark.slow
def test_a_broken_classification_is_named(manifest: dict) -> None:
    broken = copy.deepcopy(manifest)
    marts = {node["name"]: node for node in public_marts(broken)}
    marts["fct_transactions"]["columns"]["loan_id"]["meta"].pop("pseudonymised")
    marts["fct_country_monthly"]["columns"]["country_code"]["meta"].pop("classification")
    marts["fct_rejected_transactions"]["config"]["grants"]["select"].append("role:analysts")
    assert sorted(classification_problems(broken)) == [
        "fct_country_monthly.country_code is not classified",
        "fct_rejected_transactions.borrower_id is an identifier in clear for the analysts",
        "fct_rejected_transactions.loan_id is an identifier in clear for the analysts",
        "fct_rejected_transactions.source_file is an identifier in clear for the analysts",
        "fct_rejected_transactions.source_row_number is an identifier in clear for the analysts",
        "fct_rejected_transactions.transaction_id is an identifier in clear for the analysts",
        "fct_transactions.loan_id is an identifier in clear for the analysts",
    ]


@pytest.mark.slow
def test_the_raw_rejected_rows_are_the_engineers_alone(manifest: dict) -> None:
    quarantine = {n["name"]: n for n in public_marts(manifest) if n["schema"] != "analytics"}
    assert set(quarantine) == {
        "fct_rejected_transactions",
        "fct_rejected_economic_indicators",
        "fct_rejected_demographics",
        "fct_rejected_loans",
    }
    for node in quarantine.values():
        assert node["schema"] == "analytics_quarantine"
        assert node["config"]["grants"] == {"select": ["role:engineers"]}
    for node in public_marts(manifest):
        if node["name"] not in quarantine:
            assert node["config"]["grants"] == {"select": ["role:analysts"]}, node["name"]
