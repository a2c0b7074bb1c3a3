"""The project's own commands as the benchmark times them: a user's environment, the
commit measured, and `make test`'s figure carried over from an earlier run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lending.bench.project import MAKE_TEST_HINT, commit, earlier_make_test, user_env


def test_a_users_environment_has_nothing_make_bench_exported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAKEFLAGS", "-j2")
    monkeypatch.setenv("DBT_DUCKDB_PATH", "/tmp/elsewhere.duckdb")
    monkeypatch.setenv("LENDING_KEPT", "yes")
    env = user_env()
    assert "MAKEFLAGS" not in env and "DBT_DUCKDB_PATH" not in env
    assert env["LENDING_KEPT"] == "yes"


def test_the_last_measured_make_test_is_carried_over_with_its_date(tmp_path: Path) -> None:
    previous = tmp_path / "results.json"
    entry = {"seconds": 800.0, "measured_at": "2026-01-02T03:04:05+00:00", "commit": "abc1234"}
    previous.write_text(json.dumps({"make_test": entry}))
    assert earlier_make_test(previous) == {
        **entry,
        "note": f"earlier run, 2026-01-02, commit abc1234; {MAKE_TEST_HINT}",
    }


@pytest.mark.parametrize(
    "content",
    [
        None,  # no earlier results
        "{not json",
        json.dumps({"results": []}),  # an earlier format, without make_test
        json.dumps({"make_test": {"not_measured": MAKE_TEST_HINT}}),
    ],
)
def test_without_an_earlier_figure_make_test_is_not_measured(
    tmp_path: Path, content: str | None
) -> None:
    previous = tmp_path / "results.json"
    if content is not None:
        previous.write_text(content)
    assert earlier_make_test(previous) == {"not_measured": MAKE_TEST_HINT}


def test_the_commit_is_marked_dirty_when_tracked_files_changed(tmp_path: Path) -> None:
    assert commit(tmp_path) is None  # not a checkout

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "--quiet")
    (tmp_path / "file.txt").write_text("one\n")
    git("add", "file.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "c")
    clean = commit(tmp_path)
    assert clean is not None and not clean.endswith("-dirty")
    (tmp_path / "untracked.txt").write_text("ignored\n")
    assert commit(tmp_path) == clean
    (tmp_path / "file.txt").write_text("two\n")
    assert commit(tmp_path) == f"{clean}-dirty"
