"""The pre-commit hooks: local only, run from .venv, and they really catch problems."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from conftest import PROJECT_ROOT, command, run_command

CONFIG = PROJECT_ROOT / ".pre-commit-config.yaml"
PRE_COMMIT = command("pre-commit")


def pre_commit(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    return run_command(PRE_COMMIT, *args, env=env, timeout=300)


def test_every_hook_is_local_and_runs_a_project_tool(tmp_path: Path) -> None:
    assert pre_commit("validate-config", str(CONFIG), home=tmp_path).returncode == 0
    config = yaml.safe_load(CONFIG.read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert {hook["language"] for hook in hooks} == {"system"}
    for hook in hooks:
        program = next(word for word in hook["entry"].split() if "=" not in word)
        if program == "env":
            program = next(w for w in hook["entry"].split()[1:] if "=" not in w)
        # The project's .venv, or dbt-bouncer's own (its pins conflict with dbt's).
        assert program.startswith((".venv/bin/", ".venv/bouncer/bin/")), hook["id"]
    ids = {hook["id"] for hook in hooks}
    assert {"ruff-check", "ruff-format", "yamllint", "detect-secrets", "sqlfluff-lint"} <= ids
    assert "dbt-parse" in ids
    assert "metadata-gate" in ids


def test_the_yaml_hook_fails_on_a_repeated_key(tmp_path: Path) -> None:
    bad = tmp_path / "_models.yml"
    bad.write_text("models:\n  - name: a\n    description: one\n    description: two\n")
    result = pre_commit("run", "yamllint", "--files", str(bad), home=tmp_path / "home")
    assert result.returncode == 1
    assert 'duplication of key "description" in mapping' in result.stdout
    assert "4:5" in result.stdout  # the second key's line and column


def test_the_secrets_hook_fails_on_a_literal_password(tmp_path: Path) -> None:
    leaky = tmp_path / "profiles.yml"
    # Assembled at run time, so that this file does not trip the hook itself.
    leaky.write_text("prod:\n  type: redshift\n  " + "pass" + "word: Tr0ub4dor-and-3\n")
    result = pre_commit("run", "detect-secrets", "--files", str(leaky), home=tmp_path / "home")
    assert result.returncode == 1
    assert "Secret Type: Secret Keyword" in result.stdout
    assert "profiles.yml:3" in result.stdout
