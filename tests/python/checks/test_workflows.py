"""The CI workflows, as a security reviewer reads them: zizmor (`make lint`) finds no action
pinned by tag, no checkout that leaves the token in .git/config, no template expansion in a
script; and the slim-CI job, the one that reaches the warehouse, runs only for this
repository's own pull requests, in the environment the AWS role trusts (iam_ci.tf), with
pseudonyms of CI's own key (the function pseudonymisation.pseudonym_ci, which holds it).
Each rule is shown to catch a workflow that breaks it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT, command

ZIZMOR = command("zizmor")
WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
# The environment the CI role's trust names (variables.tf, github_environment's default).
ENVIRONMENT = "redshift-ci"
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
# The pseudonym function only the CI identity may call, under CI's key (redshift_grants.tf).
CI_PSEUDONYMS = "pseudonymisation.pseudonym_ci"


def zizmor_findings(path: Path) -> list[str]:
    """The audits zizmor reports on a workflow file or folder (offline, regular persona), one
    entry per finding."""
    result = subprocess.run(
        [ZIZMOR, "--offline", "--quiet", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return sorted(finding["ident"] for finding in json.loads(result.stdout))


def slim_ci_problems(workflow: dict) -> list[str]:
    job = workflow["jobs"]["warehouse-slim-ci"]
    problems = []
    triggers = workflow.get(True, workflow.get("on"))  # PyYAML reads `on:` as True
    for dangerous in ("pull_request_target", "workflow_run"):
        if dangerous in triggers:
            problems.append(f"triggered by {dangerous}, which runs with the base's secrets")
    if job.get("environment") != ENVIRONMENT:
        problems.append(f"not in the {ENVIRONMENT} environment the CI role trusts")
    if FORK_GUARD not in " ".join(str(job.get("if", "")).split()):
        problems.append("runs for a fork's pull request")
    if (workflow.get("permissions") or {}).get("id-token"):
        problems.append("every job may ask for an OIDC token")
    for name, other in workflow["jobs"].items():
        if other is not job and (other.get("permissions") or {}).get("id-token"):
            problems.append(f"job {name} may ask for an OIDC token")
    scripts = " ".join(step.get("run", "") for step in job["steps"])
    if job.get("env", {}).get("REDSHIFT_PSEUDONYM_FUNCTION") != CI_PSEUDONYMS:
        problems.append(f"builds without CI's own pseudonyms ({CI_PSEUDONYMS})")
    if "create_ci_schemas" not in scripts or "drop_ci_schemas" not in scripts:
        problems.append("does not create and drop its schemas through the ci_* run-operations")
    return problems


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = CI.read_text()
    assert old in text, old
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1))
    return broken


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    assert zizmor_findings(WORKFLOWS) == []


def test_every_third_party_action_is_pinned_to_a_commit_with_its_tag() -> None:
    uses = re.findall(r"uses: (\S+)(.*)", CI.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), f"{action}: no tag comment"


@pytest.mark.parametrize(
    ("old", "new", "audit"),
    [
        (
            "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0",
            "actions/setup-python@v5",
            "unpinned-uses",
        ),
        ("          persist-credentials: false\n", "", "artipacked"),
        (
            '"$DBT_ARTIFACTS_S3_URI/prod',
            '"${{ vars.DBT_ARTIFACTS_S3_URI }}/prod',
            "template-injection",
        ),
    ],
    ids=["tag", "persisted-token", "expansion-in-script"],
)
def test_zizmor_catches_a_weakened_workflow(tmp_path: Path, old: str, new: str, audit: str) -> None:
    assert audit in zizmor_findings(broken_copy(tmp_path, old, new))


def test_slim_ci_runs_only_for_this_repositorys_pull_requests_with_approval() -> None:
    assert slim_ci_problems(yaml.safe_load(CI.read_text())) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("  pull_request:\n", "  pull_request_target:\n", "triggered by pull_request_target"),
        ("    environment: redshift-ci\n", "", "not in the redshift-ci environment"),
        (f"\n      && {FORK_GUARD} }}}}", " }}", "runs for a fork's pull request"),
        (
            "REDSHIFT_PSEUDONYM_FUNCTION: pseudonymisation.pseudonym_ci",
            "REDSHIFT_PSEUDONYM_FUNCTION: pseudonymisation.pseudonym_production",
            "without CI's own pseudonyms",
        ),
        ("run-operation drop_ci_schemas", "run-operation drop_ci_schema", "drop its schemas"),
    ],
    ids=["pull-request-target", "no-environment", "forks", "production-key", "old-drop"],
)
def test_a_weakened_slim_ci_job_is_caught(tmp_path: Path, old: str, new: str, problem: str) -> None:
    workflow = yaml.safe_load(broken_copy(tmp_path, old, new).read_text())
    assert any(problem in found for found in slim_ci_problems(workflow))
