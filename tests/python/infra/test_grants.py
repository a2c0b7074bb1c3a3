"""The database grants (infra/terraform/redshift_grants.tf), read from the parsed
configuration: each statement is Redshift SQL, and each identity gets what the README says
and nothing more. Nothing runs on Redshift here; sqlfluff's Redshift grammar parses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlfluff
from sqlfluff.api.simple import APIParsingError
from terraform_config import Terraform, broken_copy, load, resolve

# What each grantee may receive, as (privilege, object) patterns; `{...}` are variables.
ALLOWED = {
    "ci": {
        ("usage", "schema {marts_schema}"),
        ("usage", "schema {external_schema}"),
        ("usage", "schema ci_admin"),
        ("select", "all tables in schema {marts_schema}"),
        ("select", "tables"),  # alter default privileges for the deploy user in {marts_schema}
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
        text = re.sub(r"\$\{aws_iam_role\.(\w+)\.name\}", r"role-\1", text)
        text = text.replace("${aws_glue_catalog_database.raw.name}", "lending_research_raw")
        text = text.replace("${aws_iam_role.spectrum.arn}", "arn:aws:iam::123456789012:role/x")
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
