"""The YAML check of the pre-commit hooks: parse errors and repeated keys, by line."""

from __future__ import annotations

from pathlib import Path

from conftest import PROJECT_ROOT
from lending.checks.yaml_keys import problems_in, yaml_files


def test_every_yaml_file_of_the_project_passes() -> None:
    files = yaml_files(PROJECT_ROOT)
    assert PROJECT_ROOT / "dbt_project.yml" in files
    assert [problem for path in files for problem in problems_in(path)] == []


def test_a_repeated_key_is_reported_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "_models.yml"
    path.write_text(
        "models:\n"
        "  - name: fct_loans\n"
        "    columns:\n"
        "      - name: loan_id\n"
        "    columns:\n"
        "      - name: amount\n"
    )
    assert problems_in(path) == [f"{path}:5: key 'columns' appears twice (first on line 3)"]


def test_a_syntax_error_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("models:\n  - name: [fct_loans\n")
    (problem,) = problems_in(path)
    assert problem.startswith(f"{path}:3:")
