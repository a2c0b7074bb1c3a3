"""The database grants (infra/terraform/redshift_grants.tf), read from the parsed
configuration: each statement is Redshift SQL, and each identity gets what the README says
and nothing more. Nothing runs on Redshift here; sqlfluff's Redshift grammar parses them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlfluff
from sqlfluff.api.simple import APIParsingError
from terraform_config import PROJECT_ROOT, Terraform, broken_copy, load, resolve

from lending.checks.redshift import offline_env

# What a deferred slim-CI build reads: the schemas dbt builds production into (the layers
# and the published marts), never the audit copies nor {marts_schema}_private (the key).
CI_READS = (
    "{marts_schema}, {marts_schema}_staging, {marts_schema}_intermediate, {marts_schema}_seeds,"
    " {marts_schema}_quarantine"
)
# What each grantee may receive, as (privilege, object) patterns; `{...}` are variables.
ALLOWED = {
    "ci": {
        ("usage", "schema " + CI_READS),
        ("usage", "schema {external_schema}"),
        ("usage", "schema ci_admin"),
        ("select", "all tables in schema " + CI_READS),
        ("select", "tables"),  # alter default privileges for the deploy user in CI_READS
        ("execute", "procedure ci_admin.create_ci_schema(varchar)"),
    },
    "deploy": {("create", "database {database_name}")},
    "analysts": {("usage", "schema {marts_schema}")},
    "engineers": {("usage", "schema {marts_schema}_quarantine")},
}
GRANT = re.compile(r"\bgrant (\w+) on (.+?) to (role )?(\S+)$")


def statements(config: Terraform) -> dict[str, str]:
    """Each statement's SQL, with its variables resolved and the IAM role names (known only
    after apply) replaced by a stand-in."""
    sql = {}
    for name, body in config.of_type("aws_redshiftdata_statement").items():
        text = resolve(config, body["sql"])
        # A role's key is quoted, and escaped inside a heredoc.
        text = re.sub(r'\$\{aws_iam_role\.this\[\\?"(\w+)\\?"\]\.name\}', r"role-\1", text)
        text = re.sub(
            r'\$\{aws_iam_role\.this\[\\?"spectrum\\?"\]\.arn\}',
            "arn:aws:iam::123456789012:role/x",
            text,
        )
        text = text.replace("${aws_glue_catalog_database.raw.name}", "lending_research_raw")
        assert "${" not in text, f"{name}: unresolved {text}"
        sql[name] = " ".join(text.split())
    return sql


def grant_problems(config: Terraform) -> list[str]:
    grantees = {'"IAMR:role-ci"': "ci", '"IAMR:role-orchestrator"': "deploy"}
    grantees[resolve(config, "${var.analyst_role}")] = "analysts"
    grantees[resolve(config, "${var.engineer_role}")] = "engineers"
    variables = {name: resolve(config, f"${{var.{name}}}") for name in config.variables}
    allowed = {
        who: {(privilege, target.format(**variables)) for privilege, target in pairs}
        for who, pairs in ALLOWED.items()
    }
    problems = []
    for name, sql in statements(config).items():
        match = GRANT.search(sql)
        if not match:
            continue
        privilege, target, _, grantee = match.groups()
        who = grantees.get(grantee)
        if who is None or (privilege, target) not in allowed[who]:
            problems.append(f"{name}: grants {privilege} on {target} to {grantee}")
    return problems


@pytest.fixture(scope="module")
def config():
    return load()


def test_every_statement_is_redshift_sql(config):
    sql = statements(config)
    assert len(sql) > 10
    for name, text in sql.items():
        try:
            sqlfluff.parse(text, dialect="redshift")
        except APIParsingError as error:
            pytest.fail(f"{name}: {error}")


def test_a_statement_that_is_not_sql_is_caught(tmp_path: Path):
    copy = broken_copy(
        tmp_path,
        "redshift_grants.tf",
        "grant usage on schema ci_admin",
        "grant usage schema ci_admin",
    )
    with pytest.raises(APIParsingError):
        sqlfluff.parse(statements(load(copy))["ci_uses_ci_admin_schema"], dialect="redshift")


def test_each_identity_gets_only_its_grants(config):
    assert grant_problems(config) == []
    # The CI user creates its schemas only through the procedure, which checks the name.
    procedure = statements(config)["create_ci_schema_procedure"]
    assert "security definer" in procedure and "'^ci_[a-z0-9_]{1,60}$'" in procedure


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'grant usage on schema ${var.external_schema} to ${local.ci_user}"',
            'grant create on database ${var.database_name} to ${local.ci_user}"',
            'ci_reads_sources: grants create on database lending_research to "IAMR:role-ci"',
        ),
        (
            'grant usage on schema ${var.marts_schema} to role ${var.analyst_role}"',
            'grant usage on schema ${var.external_schema} to role ${var.analyst_role}"',
            "analysts_use_marts_schema: grants usage on schema bank_lake to analysts",
        ),
    ],
    ids=["ci-creates-schemas", "analysts-read-raw"],
)
def test_a_wider_grant_is_caught(tmp_path: Path, old, new, problem):
    assert problem in grant_problems(load(broken_copy(tmp_path, "redshift_grants.tf", old, new)))


def test_the_schemas_ci_reads_are_the_ones_dbt_builds_production_into(config, tmp_path: Path):
    """Compared with the dbt project itself: a new layer schema needs its grant here."""
    marts_schema = resolve(config, "${var.marts_schema}")
    parsed = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--target", "prod",
         "--target-path", str(tmp_path), "--log-path", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=dict(offline_env(), DBT_PROFILES_DIR=str(PROJECT_ROOT), REDSHIFT_SCHEMA=marts_schema),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    built = {
        node["schema"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
    }
    granted = set(resolve(config, "${local.ci_read_schemas}").split(", "))
    assert built == granted
    assert not any(schema.endswith(("_audit", "_private")) for schema in granted)
