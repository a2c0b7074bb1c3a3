"""yamllint with the project's .yamllint, as `make lint` runs it over the tree: the project
passes, and a repeated key or a syntax error anywhere fails, by file and line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, command, copy_project

YAMLLINT = command("yamllint")
# A key given twice: PyYAML (and so dbt) would keep the second `columns:` and drop the first.
REPEATED_KEY = (
    "models:\n"
    "  - name: fct_loans\n"
    "    columns:\n"
    "      - name: loan_id\n"
    "    columns:\n"
    "      - name: amount\n"
)


def yamllint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The call of `make lint`: strict, so warnings fail too."""
    return subprocess.run(
        [YAMLLINT, "--strict", "--format", "parsable", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_project_passes() -> None:
    result = yamllint(".", cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    listed = yamllint("--list-files", ".", cwd=PROJECT_ROOT).stdout.split()
    # Not vacuous: the dbt YAML is linted; what git ignores is not.
    assert "./models/marts/lending/_lending__models.yml" in listed
    assert "./dbt_project.yml" in listed
    assert not [path for path in listed if path.startswith(("./.venv/", "./target/"))]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("yamllint") / "project")


def test_a_repeated_key_in_the_tree_fails(project: Path) -> None:
    bad = project / "models" / "marts" / "_repeated__models.yml"
    bad.write_text(REPEATED_KEY)
    try:
        result = yamllint(".", cwd=project)
    finally:
        bad.unlink()
    assert result.returncode == 1
    assert (
        './models/marts/_repeated__models.yml:5:5: [error] duplication of key "columns" '
        "in mapping (key-duplicates)"
    ) in result.stdout


def test_a_syntax_error_fails_at_its_line(project: Path) -> None:
    bad = project / "seeds" / "_broken.yml"
    bad.write_text("seeds:\n  - name: [countries\n")
    try:
        result = yamllint(".", cwd=project)
    finally:
        bad.unlink()
    assert result.returncode == 1
    assert "./seeds/_broken.yml:3:1: [error] syntax error" in result.stdout
