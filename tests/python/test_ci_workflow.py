"""The pull request's parallel jobs and `make test` run the same checks: the workflow's
matrix is the list of parts `make test` runs, with `make pytest` as its shards, and the
shards together hold every test file exactly once."""

from __future__ import annotations

import re
import shlex
import sys

import yaml

from conftest import PROJECT_ROOT, run_command

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
TESTS = PROJECT_ROOT / "tests" / "python"


def make_test_parts(makefile: str) -> list[str]:
    """The targets `make test` runs, in order: its recipe's `$(MAKE) <target>` lines."""
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no test target in the Makefile"
    return re.findall(r"^\t\$\(MAKE\) ([a-z][a-z-]*)$", recipe.group(1), re.MULTILINE)


def shards(makefile: str) -> dict[str, list[str]]:
    """Each pytest shard's arguments (PYTEST_SHARD_<name>)."""
    return {
        name: shlex.split(arguments)
        for name, arguments in re.findall(r"^PYTEST_SHARD_(\w+) := (.*)$", makefile, re.MULTILINE)
    }


def collected_files(*arguments: str) -> set[str]:
    """The test files pytest collects with these arguments."""
    result = run_command(
        sys.executable, "-m", "pytest", "--collect-only", "-q",
        "-p", "no:cacheprovider", *arguments,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}


def test_the_workflow_jobs_are_the_parts_of_make_test() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]["checks"]["strategy"]["matrix"]["target"]
    expected = []
    for part in make_test_parts(makefile):
        expected += (
            [f"pytest-shard-{name}" for name in shards(makefile)] if part == "pytest" else [part]
        )
    assert "lint" in expected and "dbt-checks" in expected  # not vacuous
    assert jobs == expected
    # .ci/run is `make test`, nothing else.
    assert (PROJECT_ROOT / ".ci" / "run").read_text().strip().endswith("\nmake test")


def test_the_shards_hold_every_test_file_once() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    by_shard = {name: collected_files(*arguments) for name, arguments in shards(makefile).items()}
    everything = collected_files()
    assert len(everything) > 30
    assert set().union(*by_shard.values()) == everything
    assert sum(len(files) for files in by_shard.values()) == len(everything)
