"""The Terraform agrees with the rest of the project: every environment variable the
production path reads is produced by an output or documented (infra/environment.yml), and
the alarms, dashboard and watchdog use exactly the run-metric contract
(lending.monitoring.metrics). Each check is shown to fail on a broken copy."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import yaml
from terraform_config import PROJECT_ROOT, Terraform, broken_copy, instances, load, resolve

from lending.monitoring.metrics import ENVIRONMENT_DIMENSION, METRICS, NAMESPACE, SOURCES

ENVIRONMENT_FILE = Path("infra") / "environment.yml"
ENV_VAR = re.compile(r"env_var\(\s*['\"]([A-Z][A-Z0-9_]*)['\"]")
# The files that read the environment on the way to production, relative to the root.
CONSUMERS = (
    "profiles.yml",
    "dbt_project.yml",
    "macros/warehouse/stage_external_sources.sql",
    "macros/pseudonymisation/pseudonymisation_key.sql",
    "models/staging/bank/_bank__sources.yml",
    "scripts/lending/publish/s3.py",
    ".github/workflows/ci.yml",
)


# --- Environment variables ------------------------------------------------------------------


def _profile_prod(text: str) -> set[str]:
    outputs = yaml.safe_load(text)["lending_research"]["outputs"]
    return set(ENV_VAR.findall(str(outputs["prod"])))


def _python_environment(text: str) -> set[str]:
    """os.environ / os.getenv look-ups, and the AWS_* variables of the standard AWS
    configuration that the module's docstring says boto3 reads for it."""
    tree = ast.parse(text)
    names = set(re.findall(r"\bAWS_[A-Z0-9_]+\b", ast.get_docstring(tree) or ""))
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.literal_eval(node.slice))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv"):
            names.add(ast.literal_eval(node.args[0]))
    return names


def env_vars_read(root: Path) -> dict[str, set[str]]:
    """Variable name => the files (relative to `root`) that read it."""
    readers: dict[str, set[str]] = {}
    for relative in CONSUMERS:
        text = (root / relative).read_text()
        if relative == "profiles.yml":
            names = _profile_prod(text)
        elif relative.endswith(".py"):
            names = _python_environment(text)
        elif relative.startswith(".github/"):
            names = set(re.findall(r"\bvars\.([A-Z][A-Z0-9_]*)", text))
        else:
            names = set(ENV_VAR.findall(text))
        for name in names:
            readers.setdefault(name, set()).add(relative)
    return readers


def produced_by_terraform(config: Terraform) -> set[str]:
    value = config.outputs["dbt_environment"]["value"]
    assert isinstance(value, dict), "dbt_environment must be a map literal"
    return set(value)


def documented(root: Path) -> dict[str, dict]:
    return yaml.safe_load((root / ENVIRONMENT_FILE).read_text())


def environment_problems(config: Terraform, root: Path) -> list[str]:
    read = env_vars_read(root)
    produced = produced_by_terraform(config)
    listed = documented(root)
    problems = [
        f"{name} (read by {', '.join(sorted(read[name]))}): neither a dbt_environment output "
        f"nor documented in {ENVIRONMENT_FILE}"
        for name in sorted(set(read) - produced - set(listed))
    ]
    problems += [
        f"{name}: both an output and in {ENVIRONMENT_FILE}"
        for name in sorted(produced & set(listed))
    ]
    problems += [
        f"{name}: output or documented, but nothing reads it"
        for name in sorted((produced | set(listed)) - set(read))
    ]
    problems += [
        f"{name}: documented without set_by and a note"
        for name, entry in listed.items()
        if not (
            isinstance(entry, dict)
            and entry.get("set_by") in ("secret", "operator", "github", "local")
            and entry.get("note")
        )
    ]
    return problems


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The consumers and infra/environment.yml, copied for breaking."""
    for relative in (*CONSUMERS, str(ENVIRONMENT_FILE)):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / relative, target)
    return tmp_path


def test_the_readers_are_found():
    read = env_vars_read(PROJECT_ROOT)
    # One from each kind of file, so a reader that silently finds nothing fails here.
    assert "profiles.yml" in read["REDSHIFT_HOST"]
    assert "macros/warehouse/stage_external_sources.sql" in read["REDSHIFT_SPECTRUM_ROLE_ARN"]
    assert "models/staging/bank/_bank__sources.yml" in read["BANK_LAKE_CATALOG_DATABASE"]
    assert "dbt_project.yml" in read["REDSHIFT_ANALYST_ROLE"]
    assert "scripts/lending/publish/s3.py" in read["AWS_REGION"]
    assert ".github/workflows/ci.yml" in read["AWS_CI_ROLE_ARN"]


def test_every_variable_read_is_an_output_or_documented():
    assert environment_problems(load(), PROJECT_ROOT) == []


def test_a_new_variable_in_the_profile_is_caught(project_copy: Path):
    profile = project_copy / "profiles.yml"
    profile.write_text(
        profile.read_text().replace(
            "connect_timeout: 30", "connect_timeout: \"{{ env_var('REDSHIFT_TIMEOUT') }}\""
        )
    )
    problems = environment_problems(load(), project_copy)
    assert problems == [
        "REDSHIFT_TIMEOUT (read by profiles.yml): neither a dbt_environment output nor "
        "documented in infra/environment.yml"
    ]


def test_a_new_variable_in_the_workflow_is_caught(project_copy: Path):
    workflow = project_copy / ".github/workflows/ci.yml"
    workflow.write_text(workflow.read_text() + "# ${{ vars.REDSHIFT_IAM_ROLE }}\n")
    assert any(
        line.startswith("REDSHIFT_IAM_ROLE (read by .github/workflows/ci.yml)")
        for line in environment_problems(load(), project_copy)
    )


def test_a_missing_output_is_caught(tmp_path: Path):
    config = load(
        broken_copy(tmp_path, "outputs.tf", "    REDSHIFT_HOST ", "    REDSHIFT_HOSTNAME ")
    )
    problems = environment_problems(config, PROJECT_ROOT)
    assert any(line.startswith("REDSHIFT_HOST (read by") for line in problems)
    assert "REDSHIFT_HOSTNAME: output or documented, but nothing reads it" in problems


def test_a_stale_or_bare_entry_is_caught(project_copy: Path):
    listed = project_copy / ENVIRONMENT_FILE
    listed.write_text(listed.read_text() + "OLD_SETTING:\n  set_by: operator\nREDSHIFT_HOST: {}\n")
    problems = environment_problems(load(), project_copy)
    assert "OLD_SETTING: output or documented, but nothing reads it" in problems
    assert "REDSHIFT_HOST: both an output and in infra/environment.yml" in problems
    assert "OLD_SETTING: documented without set_by and a note" in problems


def test_ci_reads_the_manifest_the_ci_role_may_read():
    workflow = (PROJECT_ROOT / ".github/workflows/ci.yml").read_text()
    # The variable reaches the script through env:, never expanded into it (zizmor).
    assert "DBT_ARTIFACTS_S3_URI: ${{ vars.DBT_ARTIFACTS_S3_URI }}" in workflow
    found = re.search(r'"\$DBT_ARTIFACTS_S3_URI(/[\w/.-]+)"', workflow)
    assert found, "the slim-CI job does not fetch $DBT_ARTIFACTS_S3_URI/<path>"
    path = found.group(1)
    config = load()
    prefix = resolve(config, "${var.artifacts_prefix}")
    assert resolve(config, "${local.prod_manifest_key}") == prefix + path
    assert f"environment: {config.variables['github_environment']['default']}" in workflow


# --- Run metrics ------------------------------------------------------------------------------

CONTRACT = {metric.name: metric for metric in METRICS}
ALARMED = {"BuildSucceeded", "TestsFailed", "RejectedShare", "StaleSourceCount"}


def _dashboard_metric_names(config: Terraform) -> tuple[set[str], list[str]]:
    names: set[str] = set()
    problems = []
    namespace = "${local.metrics_namespace}"
    # The metric widgets are built from local.dashboard_graphs, one each.
    widgets = config.locals["dashboard_widgets"]
    if "local.dashboard_graphs" not in str(widgets):
        problems.append("dashboard: the widgets are not built from local.dashboard_graphs")
    for graph in config.locals["dashboard_graphs"]:
        metrics = graph.get("metrics", [])
        if isinstance(metrics, str):  # a for expression, kept as text
            names.update(re.findall(r"local\.metrics_namespace,\s*\"(\w+)\"", metrics))
            continue
        for row in metrics:
            if isinstance(row[0], dict):  # a SEARCH expression
                expression = row[0]["expression"]
                if not expression.startswith(f"SEARCH('{{{namespace},"):
                    problems.append(f"dashboard: {expression} is not in the metrics namespace")
                names.update(re.findall(r'MetricName=\\?"(\w+)\\?"', expression))
            elif row[0] != namespace:
                problems.append(f"dashboard: {row} is not in the metrics namespace")
            else:
                names.add(row[1])
    return names, problems


def metric_problems(config: Terraform) -> list[str]:
    problems = []
    if resolve(config, "${local.metrics_namespace}") != NAMESPACE:
        problems.append(f"local.metrics_namespace is not {NAMESPACE}")
    alarmed = set()
    alarms = {
        name: alarm
        for resource, body in config.of_type("aws_cloudwatch_metric_alarm").items()
        for name, alarm in instances(config, resource, body).items()
    }
    for name, alarm in alarms.items():
        if alarm.get("namespace") == "AWS/Lambda":
            continue  # Lambda's own metrics of the pseudonym function, not the pipeline's
        where = f"aws_cloudwatch_metric_alarm.{name}"
        metric = CONTRACT.get(alarm.get("metric_name"))
        if resolve(config, alarm.get("namespace")) != NAMESPACE:
            problems.append(f"{where}: namespace is not {NAMESPACE}")
        if metric is None:
            problems.append(f"{where}: {alarm.get('metric_name')} is not a published metric")
            continue
        alarmed.add(metric.name)
        dimensions = alarm.get("dimensions", {})
        wanted = {ENVIRONMENT_DIMENSION, *metric.dimensions}
        if (
            set(dimensions) != wanted
            or dimensions.get(ENVIRONMENT_DIMENSION) != "${var.environment}"
        ):
            problems.append(
                f"{where}: dimensions {sorted(dimensions)}, the metric has {sorted(wanted)}"
            )
    problems += [f"no alarm on {name}" for name in sorted(ALARMED - alarmed)]
    if resolve(config, "${local.rejected_share_sources}") != list(SOURCES):
        problems.append(f"local.rejected_share_sources is not {list(SOURCES)}")
    shown, dashboard = _dashboard_metric_names(config)
    problems += dashboard
    problems += [
        f"dashboard: {name} is not a published metric" for name in sorted(shown - set(CONTRACT))
    ]
    problems += [f"dashboard: {name} is not shown" for name in sorted(set(CONTRACT) - shown)]
    watchdog = config.of_type("aws_lambda_function")["watchdog"]["environment"][0]["variables"]
    if (
        resolve(config, watchdog["METRICS_NAMESPACE"]) != NAMESPACE
        or watchdog["BUILD_METRIC"] not in CONTRACT
    ):
        problems.append("watchdog: not counting a published metric of the namespace")
    return problems


def test_alarms_dashboard_and_watchdog_use_the_metric_contract():
    assert metric_problems(load()) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'metric      = "TestsFailed"',
            'metric      = "FailedTests"',
            'aws_cloudwatch_metric_alarm.build["tests-failed"]: FailedTests is not a published '
            "metric",
        ),
        (
            'metrics_namespace = "LendingResearch/Pipeline"',
            'metrics_namespace = "LendingResearch/Pipelines"',
            "local.metrics_namespace is not LendingResearch/Pipeline",
        ),
        (
            "dimensions          = { Environment = var.environment, Source = each.key }",
            "dimensions          = { Environment = var.environment }",
            "aws_cloudwatch_metric_alarm.rejected_share: dimensions ['Environment'], the metric "
            "has ['Environment', 'Source']",
        ),
        (
            '"demographics", "loans"]',
            '"demographics"]',
            "local.rejected_share_sources is not "
            "['transactions', 'economic_indicators', 'demographics', 'loans']",
        ),
        (
            '[local.metrics_namespace, "TestsWarned", "Environment", var.environment],\n',
            "",
            "dashboard: TestsWarned is not shown",
        ),
    ],
    ids=["alarm-name", "namespace", "dimensions", "sources", "dashboard"],
)
def test_a_drift_from_the_contract_is_caught(tmp_path: Path, old, new, problem):
    assert problem in metric_problems(load(broken_copy(tmp_path, "monitoring.tf", old, new)))


def test_the_alarm_threshold_is_the_builds_threshold():
    dbt_project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    config = load()
    threshold = config.resources[("aws_cloudwatch_metric_alarm", "rejected_share")]["threshold"]
    assert resolve(config, threshold) == dbt_project["vars"]["max_rejected_share"]
