"""Check that the project runs on Redshift, without a Redshift.

Compiles the whole project for the `prod` target offline (dbt compile --target prod
--no-introspect --no-populate-cache, with dummy connection settings and a target path of
its own, so the dev target/ and its partial-parse state are untouched), then checks every
compiled model, data test and analysis, whatever models exist:

  - it parses as Redshift SQL (sqlfluff's Redshift grammar);
  - it uses no DuckDB-only function, type or syntax (the deny list in redshift_sql.py);
  - every source resolves to the external (Spectrum) schema;
  - the run-operation's DDL (analyses/stage_external_sources.sql) compiled, for every
    source table;
  - contract and source column types are Redshift types, strings with explicit lengths;
  - views are late-binding and marts are granted to the analysts' role;
  - with --duckdb, no value in the dev warehouse is longer than its contracted varchar.

Exits 1 naming each offending file, line and construct.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from lending import cli
from lending.checks.problems import Problem, report
from lending.checks.redshift_sql import duckdb_only, parse_problems, redshift_type_problem

# Settings the prod target and the stage_external_sources macro read. Fixed dummies, so
# the check never depends on (or leaks) a developer's real credentials.
OFFLINE_ENV = {
    "REDSHIFT_AUTH_METHOD": "database",
    "REDSHIFT_HOST": "offline-check.abc123.eu-west-1.redshift.amazonaws.com",
    "REDSHIFT_DATABASE": "analytics",
    "REDSHIFT_SCHEMA": "analytics",
    "REDSHIFT_USER": "offline_check",
    "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "offline-check-not-a-password",
    "REDSHIFT_EXTERNAL_SCHEMA": "bank_lake",
    "REDSHIFT_SPECTRUM_ROLE_ARN": "arn:aws:iam::123456789012:role/offline-check",
    "REDSHIFT_ANALYST_ROLE": "analysts",
    "REDSHIFT_ENGINEER_ROLE": "engineers",
    "BANK_LAKE_S3_URI": "s3://offline-check-lake/raw",
    "BANK_LAKE_CATALOG_DATABASE": "offline_check_raw",
    "REDSHIFT_PSEUDONYM_FUNCTION": "pseudonymisation.pseudonym_production",
}
ENV_PREFIXES = ("REDSHIFT_", "DBT_ENV_SECRET_", "BANK_LAKE_")
CHECKED_RESOURCES = ("model", "test", "analysis", "snapshot")
DDL_ANALYSIS = "stage_external_sources"
SURPLUS_CHARS_FAIL = "table properties ('surplus_char_handling'='fail')"
STRING_TYPES = ("varchar", "character varying", "nvarchar", "char", "character", "nchar")


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    env.update(OFFLINE_ENV, DO_NOT_TRACK="1")
    return env


def offline_vars(project_dir: Path) -> dict:
    """The vars of the offline compile: no warehouse to ask, so what the models would
    query at compile time comes from the files the warehouse would load (the seeds)."""
    with (project_dir / "seeds" / "indicator_catalogue.csv").open(newline="") as catalogue:
        indicators = sorted(
            [row["indicator_code"], row["pivot_column"]] for row in csv.DictReader(catalogue)
        )
    return {"offline_compile": True, "indicator_columns": indicators}


def compile_for_redshift(project_dir: Path, target_path: Path) -> Path:
    """`dbt compile` for prod, offline; returns the manifest. Exits 1 when dbt fails."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        "compile",
        "--target",
        "prod",
        "--no-introspect",
        "--no-populate-cache",
        "--vars",
        json.dumps(offline_vars(project_dir)),
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--quiet",
    ]
    result = subprocess.run(command, env=offline_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        print(
            "lending-redshift-check: dbt could not compile the project for Redshift (above)",
            file=sys.stderr,
        )
        raise SystemExit(1)
    return target_path / "manifest.json"


def _label(node: dict) -> str:
    return f"{node['resource_type']} {node['name']} ({node['original_file_path']})"


def check_compiled_sql(manifest: dict) -> tuple[list[Problem], int]:
    problems = []
    checked = 0
    for node in manifest["nodes"].values():
        if node["resource_type"] not in CHECKED_RESOURCES or node["package_name"] != (
            manifest["metadata"].get("project_name")
        ):
            continue
        sql = node.get("compiled_code")
        if sql is None:
            problems.append(Problem(_label(node), "was not compiled"))
            continue
        checked += 1
        compiled = f"{_label(node)}, compiled"
        for finding in parse_problems(sql) + duckdb_only(sql):
            problems.append(Problem(compiled, str(finding)))
    return problems, checked


def check_sources(manifest: dict) -> list[Problem]:
    schema = OFFLINE_ENV["REDSHIFT_EXTERNAL_SCHEMA"]
    database = OFFLINE_ENV["REDSHIFT_DATABASE"]
    problems = []
    for source in manifest["sources"].values():
        where = f"source {source['source_name']}.{source['name']} ({source['original_file_path']})"
        expected = f'"{database}"."{schema}"."{source["identifier"]}"'
        if source["relation_name"] != expected:
            problems.append(
                Problem(
                    where,
                    f"resolves to {source['relation_name']} on Redshift, not the external "
                    f"schema ({expected}); set the source's schema for target.type redshift",
                )
            )
        for column in source["columns"].values():
            problem = _column_type_problem(column)
            if problem:
                problems.append(Problem(f"{where}, column {column['name']}", problem))
    return problems


def check_external_table_ddl(manifest: dict) -> list[Problem]:
    """The run-operation's statements compiled, one CREATE EXTERNAL TABLE per table."""
    analyses = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "analysis" and node["name"] == DDL_ANALYSIS
    ]
    if not analyses:
        return [Problem(f"analyses/{DDL_ANALYSIS}.sql", "missing: the DDL is not checked")]
    ddl = (analyses[0].get("compiled_code") or "").lower()
    schema = OFFLINE_ENV["REDSHIFT_EXTERNAL_SCHEMA"]
    problems = []
    if f'create external schema if not exists "{schema}"' not in ddl:
        problems.append(Problem(_label(analyses[0]), "does not create the external schema"))
    # Every database user may use a warehouse's default role (SECURITY.md).
    if re.search(r"\biam_role\s+default\b", ddl):
        problems.append(Problem(_label(analyses[0]), "uses the default IAM role"))
    tables = dict(re.findall(r"create external table (\S+) \((.*?)(?=;|\Z)", ddl, re.DOTALL))
    for source in manifest["sources"].values():
        relation = f'"{schema}"."{source["identifier"]}"'
        where = f"the external table {relation} for source {source['source_name']}.{source['name']}"
        if relation not in tables:
            problems.append(Problem(_label(analyses[0]), f"does not create {where}"))
        elif SURPLUS_CHARS_FAIL not in tables[relation]:
            # Spectrum's default turns an over-long string into NULL, silently.
            problems.append(Problem(_label(analyses[0]), f"{where}: no {SURPLUS_CHARS_FAIL}"))
    return problems


def check_warehouse_config(manifest: dict) -> list[Problem]:
    """Redshift settings every model needs: views late-binding (Redshift refuses a bound
    view over an external table, and dbt's drop-cascade of a rebuilt parent would take a
    bound one down), and every mart granted to the analysts' role."""
    problems = []
    for model in manifest["nodes"].values():
        if model["resource_type"] != "model":
            continue
        config = model["config"]
        if config["materialized"] == "view" and config.get("bind") is not False:
            problems.append(Problem(_label(model), "is a view without bind: false (late binding)"))
        is_mart = len(model["fqn"]) > 1 and model["fqn"][1] == "marts"
        grantees = (config.get("grants") or {}).get("select") or []
        if is_mart and not any(str(g).startswith("role:") for g in grantees):
            problems.append(
                Problem(_label(model), "is a mart without grants: {select: [role:...]}")
            )
    return problems


def _column_type_problem(column: dict) -> str | None:
    if not column.get("data_type"):
        return "no data_type: Redshift needs one to create the column"
    return redshift_type_problem(column["data_type"], need_string_length=True)


def contracted_models(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    ]


def check_contracts(manifest: dict) -> list[Problem]:
    problems = []
    for model in contracted_models(manifest):
        for column in model["columns"].values():
            problem = _column_type_problem(column)
            if problem:
                where = f"{_label(model)}, contract column {column['name']}"
                problems.append(Problem(where, problem))
    return problems


def _string_length(data_type: str) -> int | None:
    """n of varchar(n)/char(n); None for other types and varchar(max)."""
    name, _, rest = data_type.lower().partition("(")
    if name.strip() not in STRING_TYPES or not rest.rstrip(") ").strip().isdigit():
        return None
    return int(rest.rstrip(") ").strip())


def check_lengths_against_data(manifest: dict, database: Path) -> list[Problem]:
    """Values in the dev warehouse that would overflow their contracted varchar(n) on
    Redshift (DuckDB ignores the length, Redshift rejects the insert)."""
    problems = []
    with duckdb.connect(str(database), read_only=True) as con:
        for model in contracted_models(manifest):
            lengths = {
                name: length
                for name, column in model["columns"].items()
                if (length := _string_length(column.get("data_type") or "")) is not None
            }
            if not lengths:
                continue
            table = model["alias"]
            # The same schema on the dev target: `main` in place of the offline target's.
            schema = "main" + model["schema"].removeprefix(OFFLINE_ENV["REDSHIFT_SCHEMA"])
            found = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchone()
            if not found or not found[0]:
                problems.append(Problem(_label(model), f"not built in {database}"))
                continue
            longest = ", ".join(f'max(strlen("{name}"))' for name in lengths)
            row = con.execute(f'select {longest} from "{schema}"."{table}"').fetchone() or ()
            for (name, length), observed in zip(lengths.items(), row, strict=True):
                if observed is not None and observed > length:
                    problems.append(
                        Problem(
                            f"{_label(model)}, contract column {name}",
                            f"a value of {observed} bytes in {database} does not fit "
                            f"varchar({length}) on Redshift; widen the contract",
                        )
                    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(
        "lending-redshift-check",
        __doc__,
        epilog="Example: lending-redshift-check --duckdb data/lending_research.duckdb",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="dbt project (default: .)"
    )
    parser.add_argument(
        "--target-path",
        type=Path,
        help="where the prod compile goes (default: <project>/target/redshift)",
    )
    parser.add_argument(
        "--duckdb",
        type=Path,
        metavar="FILE",
        help="also check the dev warehouse's strings fit their contracted lengths",
    )
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    target_path = (args.target_path or project_dir / "target" / "redshift").resolve()

    manifest = json.loads(compile_for_redshift(project_dir, target_path).read_text())
    sql_problems, checked = check_compiled_sql(manifest)
    problems = [
        *sql_problems,
        *check_sources(manifest),
        *check_external_table_ddl(manifest),
        *check_contracts(manifest),
        *check_warehouse_config(manifest),
    ]
    if args.duckdb:
        problems += check_lengths_against_data(manifest, args.duckdb)
    if problems:
        return report("Redshift check", problems)
    print(
        f"Redshift check passed: {checked} compiled models, tests and analyses parse as "
        f"Redshift SQL with no DuckDB-only constructs; {len(manifest['sources'])} sources "
        f"read the external schema; {len(contracted_models(manifest))} contracts use "
        "Redshift types."
    )
    return 0
