"""Settings from the environment that reach SQL are checked before anything compiles
(macros/settings/check_environment.sql): each hostile value stops `dbt parse` with a
message naming the variable; valid ones pass; and every env_var() the project reads is
either checked or one that never reaches SQL."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import DBT, PROJECT_ROOT, run_command, run_offline_dbt
from lending.checks.redshift import offline_env

CHECKS = PROJECT_ROOT / "macros" / "settings" / "check_environment.sql"
ENV_VAR = re.compile(r"env_var\(\s*['\"]([A-Z][A-Z0-9_]*)['\"]")
# Read by the project but never pasted into SQL: connection parameters of the profiles
# (the pg target's libpq variables but PGDATABASE, which names every relation), the DuckDB
# configuration (passed to duckdb.connect, not to SQL).
NEVER_IN_SQL = {
    "REDSHIFT_AUTH_METHOD", "REDSHIFT_HOST", "REDSHIFT_PORT", "REDSHIFT_USER",
    "DBT_ENV_SECRET_REDSHIFT_PASSWORD", "REDSHIFT_CLUSTER_ID", "REDSHIFT_SERVERLESS",
    "REDSHIFT_SERVERLESS_WORKGROUP", "REDSHIFT_REGION", "DBT_DUCKDB_MEMORY_LIMIT",
    "DBT_DUCKDB_TEMP_DIRECTORY",
    "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD",
}  # fmt: skip
# What a reviewer tried: each would have ended its identifier or string and run its own SQL.
HOSTILE = {
    "REDSHIFT_EXTERNAL_SCHEMA": 'bank_lake"; drop schema analytics cascade; --',
    "REDSHIFT_ANALYST_ROLE": "analysts; grant all on schema analytics to public",
    "REDSHIFT_ENGINEER_ROLE": "engineers, public",
    "BANK_RAW_DATA_PATH": "data/raw/x.parquet'); copy (select 1) to '/tmp/x' (--",
    "REDSHIFT_SCHEMA": 'analytics"."x',
    "REDSHIFT_DATABASE": "Analytics Prod",
    "PGDATABASE": 'lending_research"."analytics"; drop schema analytics cascade; --',
    "BANK_LAKE_CATALOG_DATABASE": "raw' iam_role 'arn:aws:iam::1:role/x",
    "BANK_LAKE_S3_URI": "s3://lake/raw' iam_role default --",
    "REDSHIFT_SPECTRUM_ROLE_ARN": "default; drop table bank_lake.transactions",
    "DBT_DUCKDB_PATH": 'data/x".duckdb',
    "REDSHIFT_PSEUDONYM_FUNCTION": "pseudonymisation.pseudonym_production('x'), sha2('x', 256",
}


def checked_variables() -> set[str]:
    text = CHECKS.read_text()
    body = text[text.index("macro environment_checks") : text.index("endmacro")]
    return set(re.findall(r"'([A-Z][A-Z0-9_]+)':", body))


def parse(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_offline_dbt("parse", "--no-partial-parse", output=tmp_path, **env)


def test_every_value_the_project_reads_is_checked_or_never_reaches_sql() -> None:
    files = [PROJECT_ROOT / "profiles.yml", PROJECT_ROOT / "dbt_project.yml"]
    for folder in ("models", "macros", "tests", "analyses", "seeds"):
        files += (PROJECT_ROOT / folder).rglob("*.sql")
        files += (PROJECT_ROOT / folder).rglob("*.yml")
    read = {name for path in files for name in ENV_VAR.findall(path.read_text())}
    assert "BANK_RAW_DATA_PATH" in read and "REDSHIFT_ANALYST_ROLE" in read
    assert read - NEVER_IN_SQL - checked_variables() == set()
    assert set(HOSTILE) == checked_variables()  # every checked variable is tried below


@pytest.mark.slow
@pytest.mark.parametrize("variable", sorted(HOSTILE))
def test_a_hostile_value_stops_the_parse_naming_the_variable(tmp_path: Path, variable: str) -> None:
    result = parse(tmp_path, **{variable: HOSTILE[variable]})
    assert result.returncode != 0, f"{variable} was accepted"
    assert f"{variable} must be " in result.stdout, result.stdout[-2000:]
    assert "nothing is compiled or run with it" in result.stdout


@pytest.mark.slow
def test_valid_values_parse(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        BANK_RAW_DATA_PATH="/srv/lending/data/raw-2024_09",
        DBT_DUCKDB_PATH="data/lending_research.duckdb",
        BANK_LAKE_S3_URI="s3://bank-lake.eu-west-1/raw/lending=v2/",
        REDSHIFT_SPECTRUM_ROLE_ARN="arn:aws-us-gov:iam::123456789012:role/path/spectrum-role",
    )
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.slow
def test_redshift_without_the_lake_uri_stops_the_parse(tmp_path: Path) -> None:
    """No default bucket (it used to be s3://lending-research-lake/raw, a name anyone could
    register): on Redshift the lake's URI is required."""
    env = {k: v for k, v in offline_env().items() if k != "BANK_LAKE_S3_URI"}
    result = run_command(
        DBT, "parse", "--no-partial-parse", "--target", "prod",
        "--target-path", tmp_path / "target", "--log-path", tmp_path / "logs",
        env=dict(env, DBT_PROFILES_DIR=str(PROJECT_ROOT)),
    )  # fmt: skip
    assert result.returncode != 0
    assert "BANK_LAKE_S3_URI" in result.stdout, result.stdout[-2000:]
