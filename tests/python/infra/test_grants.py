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

SPECTRUM_ROLE = "arn:aws:iam::123456789012:role/x"  # the stand-ins statements() puts in
INVOKER_ROLE = "arn:aws:iam::123456789012:role/invoker-{}"
PSEUDONYM_FUNCTION = "pseudonymisation.pseudonym_{}(varchar)"
# What a deferred slim-CI build reads: the schemas dbt builds production into (the layers
# and the published marts), never the audit copies.
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
        ("usage", "schema pseudonymisation"),
        ("execute", "function " + PSEUDONYM_FUNCTION.format("ci")),
        ("assumerole for external function", f"'{INVOKER_ROLE.format('ci')}'"),
    },
    "deploy": {
        ("create", "database {database_name}"),
        ("temp", "database {database_name}"),
        ("assumerole for copy", f"'{SPECTRUM_ROLE}'"),
        ("usage", "schema pseudonymisation"),
        ("execute", "function " + PSEUDONYM_FUNCTION.format("production")),
        ("assumerole for external function", f"'{INVOKER_ROLE.format('production')}'"),
    },
    "analysts": {("usage", "schema {marts_schema}")},
    "engineers": {("usage", "schema {marts_schema}_quarantine")},
}
ALLOWED["ci"].add(("temp", "database {database_name}"))
# What Redshift gives every user (PUBLIC) out of the box, each statement taking it back.
PUBLIC_REVOKES = (
    "revoke assumerole on all from public for all",
    "revoke temp on database {database_name} from public",
    "revoke create on schema public from public",
    "revoke usage on language exfunc from public",
)
# A grant or default privilege: privilege, object, grantee, and for ASSUMEROLE the commands.
GRANT = re.compile(r"\bgrant (\w+) on (.+?) to (role )?(\S+)(?: for ([a-z ,]+))?$")
# sqlfluff's Redshift grammar has no ASSUMEROLE: these statements are held to AWS's syntax
# (Database Developer Guide, GRANT and REVOKE, "ASSUMEROLE permissions") instead.
ASSUMEROLE = re.compile(
    r"(grant|revoke) assumerole on ('[^' ]+'|all|default) (to|from) (\"[^\"]+\"|\w+)"
    r" for (all|copy|unload|external function|create model)"
    r"(, (copy|unload|external function|create model))*"
)
# Nor MAX_BATCH_ROWS: the external functions are held to AWS's syntax (CREATE EXTERNAL
# FUNCTION), and to the contract the dbt macros rely on: varchar in, char(64) out, stable.
EXTERNAL_FUNCTION = re.compile(
    r"create or replace external function (pseudonymisation\.pseudonym_\w+)\(varchar\)"
    r" returns char\(64\) stable lambda '([\w-]+)' iam_role '([^' ]+)' max_batch_rows (\d+)"
)


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
            SPECTRUM_ROLE,
            text,
        )
        text = re.sub(
            r'\$\{aws_iam_role\.this\[\\?"pseudonym_invoker_(\w+)\\?"\]\.arn\}',
            lambda found: INVOKER_ROLE.format(found.group(1)),
            text,
        )
        text = re.sub(
            r'\$\{aws_lambda_function\.pseudonymiser\[\\?"(\w+)\\?"\]\.function_name\}',
            r"lambda-\1",
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
            # A grant this pattern cannot read (a role granted to a role, a list of
            # grantees) would otherwise pass unchecked.
            if re.search(r"\bgrant\b", sql):
                problems.append(f"{name}: a grant of a form this check cannot read: {sql}")
            continue
        privilege, target, _, grantee, commands = match.groups()
        if commands:
            privilege = f"{privilege} for {commands}"
        who = grantees.get(grantee)
        if who is None or (privilege, target) not in allowed[who]:
            problems.append(f"{name}: grants {privilege} on {target} to {grantee}")
    return problems


def execution_order(config: Terraform) -> list[str]:
    """The statements in the order they run: each depends on the one before it."""
    after = {}
    for name, body in config.of_type("aws_redshiftdata_statement").items():
        previous = re.findall(r"aws_redshiftdata_statement\.(\w+)", str(body.get("depends_on")))
        after[previous[0] if previous else None] = name
    order, current = [], after.get(None)
    while current:
        order.append(current)
        current = after.get(current)
    return order


def public_revoke_problems(config: Terraform) -> list[str]:
    """Each of PUBLIC's default privileges is revoked, before anything is granted."""
    variables = {name: resolve(config, f"${{var.{name}}}") for name in config.variables}
    by_name = statements(config)
    sql = [by_name[name] for name in execution_order(config)]
    first_grant = next(i for i, text in enumerate(sql) if GRANT.search(text))
    problems = []
    for revoke in (statement.format(**variables) for statement in PUBLIC_REVOKES):
        if revoke not in sql:
            problems.append(f"no `{revoke}`")
        elif sql.index(revoke) > first_grant:
            problems.append(f"`{revoke}` comes after a grant")
    return problems


@pytest.fixture(scope="module")
def config():
    return load()


def test_every_statement_is_redshift_sql(config):
    sql = statements(config)
    assert len(sql) > 10
    for name, text in sql.items():
        if "assumerole" in text:
            assert ASSUMEROLE.fullmatch(text), f"{name}: not AWS's ASSUMEROLE syntax: {text}"
            continue
        if "external function" in text:
            assert EXTERNAL_FUNCTION.fullmatch(text), f"{name}: not the pseudonym contract: {text}"
            continue
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


def test_a_malformed_assumerole_statement_is_caught(config):
    text = statements(config)["deploy_copies_with_the_spectrum_role"]
    assert ASSUMEROLE.fullmatch(text)
    assert not ASSUMEROLE.fullmatch(text.replace(" for copy", " for spectrum"))
    assert not ASSUMEROLE.fullmatch(text.replace(" to ", " from everyone "))


def test_public_loses_its_default_privileges_before_any_grant(config):
    assert len(execution_order(config)) == len(statements(config)), "not one chain"
    assert public_revoke_problems(config) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('"revoke assumerole on all from public for all"', '"select 1"', "no `revoke assumerole"),
        (
            '"revoke temp on database ${var.database_name} from public"',
            '"select 1"',
            "no `revoke temp on database lending_research from public`",
        ),
        (
            '"revoke create on schema public from public"',
            '"revoke usage on schema public from public"',
            "no `revoke create on schema public from public`",
        ),
    ],
    ids=["assumerole-kept", "temp-kept", "create-on-public-kept"],
)
def test_a_default_privilege_left_to_public_is_caught(tmp_path: Path, old, new, problem):
    copy = load(broken_copy(tmp_path, "redshift_grants.tf", old, new))
    assert any(line.startswith(problem) for line in public_revoke_problems(copy))


def test_a_revoke_that_runs_after_the_grants_is_caught(tmp_path: Path):
    """The revoke moved to the end of the chain: grants ran while PUBLIC still had it."""
    revoke = '"revoke create on schema public from public"'
    last = '"grant execute on procedure ci_admin.create_ci_schema(varchar) to ${local.ci_user}"'
    copy = broken_copy(tmp_path, "redshift_grants.tf", revoke, '"select 1"')
    grants = copy / "redshift_grants.tf"
    assert last in grants.read_text()
    grants.write_text(grants.read_text().replace(last, revoke))
    problems = public_revoke_problems(load(copy))
    assert problems == ["`revoke create on schema public from public` comes after a grant"]


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
        (
            'grant usage on schema ${var.marts_schema} to role ${var.analyst_role}"',
            'grant usage on schema ${local.quarantine_schema} to role ${var.analyst_role}"',
            "analysts_use_marts_schema: grants usage on schema analytics_quarantine to analysts",
        ),
        (
            'grant usage on schema ${local.quarantine_schema} to role ${var.engineer_role}"',
            'grant usage on schema ${var.marts_schema} to role ${var.engineer_role}"',
            "engineers_use_quarantine_schema: grants usage on schema analytics to engineers",
        ),
        (
            'grant usage on schema ${local.quarantine_schema} to role ${var.engineer_role}"',
            'grant role ${var.engineer_role} to role ${var.analyst_role}"',
            "engineers_use_quarantine_schema: a grant of a form this check cannot read: "
            "grant role engineers to role analysts",
        ),
        (
            'to ${local.deploy_user} for copy"',
            'to ${local.deploy_user} for copy, unload"',
            "deploy_copies_with_the_spectrum_role: grants assumerole for copy, unload on "
            "'arn:aws:iam::123456789012:role/x' to \"IAMR:role-orchestrator\"",
        ),
        (
            'to ${local.deploy_user} for copy"',
            'to ${local.ci_user} for copy"',
            "deploy_copies_with_the_spectrum_role: grants assumerole for copy on "
            "'arn:aws:iam::123456789012:role/x' to \"IAMR:role-ci\"",
        ),
        (
            'grant temp on database ${var.database_name} to ${local.ci_user}"',
            'grant temp on database ${var.database_name} to role ${var.analyst_role}"',
            "ci_creates_temporary_tables: grants temp on database lending_research to analysts",
        ),
    ],
    ids=[
        "ci-creates-schemas",
        "analysts-read-raw",
        "analysts-read-the-quarantine",
        "engineers-read-the-marts",
        "engineers-granted-to-analysts",
        "deploy-unloads",
        "ci-assumes-the-spectrum-role",
        "analysts-create-temporary-tables",
    ],
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
    assert not any(schema.endswith("_audit") for schema in granted)


# --- Pseudonyms ---------------------------------------------------------------------------


def pseudonym_problems(config: Terraform) -> list[str]:
    """Each pseudonym function is the contract (EXTERNAL_FUNCTION) and calls its own Lambda
    through its own invoker role, in batches whose response fits Lambda's 6 MB (67 bytes a
    row); and PUBLIC loses execute on it after it is created and before anyone gets execute
    on it or usage on its schema."""
    by_name = statements(config)
    sql = [by_name[name] for name in execution_order(config)]
    problems = []
    for name in ("production", "ci"):
        function = PSEUDONYM_FUNCTION.format(name)
        created = [
            (i, found)
            for i, text in enumerate(sql)
            if (found := EXTERNAL_FUNCTION.fullmatch(text))
            and f"{found.group(1)}(varchar)" == function
        ]
        if len(created) != 1:
            problems.append(f"{function}: created {len(created)} times")
            continue
        index, found = created[0]
        if found.groups()[1:3] != (f"lambda-{name}", INVOKER_ROLE.format(name)):
            problems.append(f"{function}: calls {found.group(2)} as {found.group(3)}")
        if int(found.group(4)) * 67 > 6_000_000:
            problems.append(f"{function}: batches of {found.group(4)} rows overflow Lambda's 6 MB")
        revoke = f"revoke execute on function {function} from public"
        opened = [
            i
            for i, text in enumerate(sql)
            if text.startswith("grant") and (function in text or "schema pseudonymisation" in text)
        ]
        if revoke not in sql:
            problems.append(f"no `{revoke}`")
        elif not index < sql.index(revoke) < min(opened, default=len(sql)):
            problems.append(f"`{revoke}` runs before the function exists or after a grant on it")
    return problems


def test_each_pseudonym_function_is_its_own_and_only_its_identity_calls_it(config):
    assert pseudonym_problems(config) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            '"revoke execute on function ${local.pseudonymisers.ci.sql_function}(varchar) from '
            'public"',
            '"select 1"',
            "no `revoke execute on function pseudonymisation.pseudonym_ci(varchar) from public`",
        ),
        (
            """lambda '${aws_lambda_function.pseudonymiser["ci"].function_name}'""",
            """lambda '${aws_lambda_function.pseudonymiser["production"].function_name}'""",
            "pseudonymisation.pseudonym_ci(varchar): calls lambda-production as",
        ),
        (
            """iam_role '${aws_iam_role.this["pseudonym_invoker_production"].arn}'""",
            """iam_role '${aws_iam_role.this["pseudonym_invoker_ci"].arn}'""",
            "pseudonymisation.pseudonym_production(varchar): calls lambda-production as",
        ),
        (
            "max_batch_rows ${local.pseudonym_batch_rows}\n  SQL\n\n  depends_on = "
            "[aws_redshiftdata_statement.create_pseudonymisation_schema]",
            "max_batch_rows 1000000\n  SQL\n\n  depends_on = "
            "[aws_redshiftdata_statement.create_pseudonymisation_schema]",
            "pseudonymisation.pseudonym_production(varchar): batches of 1000000 rows overflow",
        ),
    ],
    ids=["public-keeps-ci-pseudonyms", "ci-calls-production-lambda", "production-with-ci-role",
         "batch-overflows-lambda"],
)  # fmt: skip
def test_a_pseudonym_function_anyone_may_call_or_of_the_wrong_key_is_caught(
    tmp_path: Path, old, new, problem
):
    copy = load(broken_copy(tmp_path, "redshift_grants.tf", old, new))
    problems = pseudonym_problems(copy)
    assert any(line.startswith(problem) for line in problems), problems


def test_a_revoke_after_the_schema_grant_is_caught(tmp_path: Path):
    """PUBLIC's execute taken back only after the callers have usage on the schema."""
    revoke = (
        '"revoke execute on function ${local.pseudonymisers.production.sql_function}(varchar) '
        'from public"'
    )
    usage = '"grant usage on schema pseudonymisation to ${local.ci_user}"'
    copy = broken_copy(tmp_path, "redshift_grants.tf", revoke, '"select 1"')
    grants = copy / "redshift_grants.tf"
    grants.write_text(grants.read_text().replace(usage, revoke))
    assert pseudonym_problems(load(copy)) == [
        "`revoke execute on function pseudonymisation.pseudonym_production(varchar) from public` "
        "runs before the function exists or after a grant on it"
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "grant execute on function ${local.pseudonymisers.ci.sql_function}(varchar) to "
            '${local.ci_user}"',
            "grant execute on function ${local.pseudonymisers.production.sql_function}(varchar) "
            'to ${local.ci_user}"',
            "ci_calls_the_ci_pseudonym: grants execute on function "
            'pseudonymisation.pseudonym_production(varchar) to "IAMR:role-ci"',
        ),
        (
            'grant usage on schema pseudonymisation to ${local.ci_user}"',
            'grant usage on schema pseudonymisation to role ${var.analyst_role}"',
            "ci_uses_pseudonymisation_schema: grants usage on schema pseudonymisation to analysts",
        ),
        (
            """grant assumerole on '${aws_iam_role.this["pseudonym_invoker_ci"].arn}'""",
            """grant assumerole on '${aws_iam_role.this["pseudonym_invoker_production"].arn}'""",
            "ci_invokes_with_its_invoker_role: grants assumerole for external function on "
            "'arn:aws:iam::123456789012:role/invoker-production' to \"IAMR:role-ci\"",
        ),
    ],
    ids=["ci-calls-production-pseudonyms", "analysts-reach-the-functions",
         "ci-assumes-the-production-invoker"],
)  # fmt: skip
def test_a_pseudonym_grant_to_another_identity_is_caught(tmp_path: Path, old, new, problem):
    assert problem in grant_problems(load(broken_copy(tmp_path, "redshift_grants.tf", old, new)))
