"""The shared paths and their command options (lending.settings): every command defaults a
file to where dbt, told by the same environment variable, puts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lending import settings
from lending.build import summary

OPTIONS = {
    "--database": ("DBT_DUCKDB_PATH", Path("elsewhere/warehouse.duckdb")),
    "--raw-data": ("BANK_RAW_DATA_PATH", Path("elsewhere/raw")),
    "--run-results": ("DBT_TARGET_PATH", Path("elsewhere/target")),
}


def default_of(flag: str) -> Path:
    args = settings.path_option(flag, "a file").parse_args([])
    return getattr(args, flag.removeprefix("--").replace("-", "_"))


@pytest.mark.parametrize("flag", OPTIONS)
def test_a_path_option_defaults_to_its_environment_variable(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable, value = OPTIONS[flag]
    monkeypatch.setenv(variable, str(value))
    assert default_of(flag) in (value, value / "run_results.json")
    assert variable in settings.path_option(flag, "a file").format_help()


@pytest.mark.parametrize("flag", OPTIONS)
def test_a_path_option_without_its_variable_defaults_to_the_projects_folder(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OPTIONS[flag][0], raising=False)
    default = default_of(flag)
    assert not default.is_absolute() and default.parts[0] in ("data", "target")


def test_the_build_summary_reads_the_run_results_where_dbt_target_path_puts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "run_results.json").write_text("{}")
    (tmp_path / "warehouse.duckdb").touch()
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    seen: dict[str, Path] = {}

    def record(database: Path, run_results: Path, raw_data: Path, build_failed: bool) -> str:
        seen["run_results"] = run_results
        return ""

    monkeypatch.setattr(summary, "report", record)
    assert summary.main([]) == 0
    assert seen["run_results"] == tmp_path / "run_results.json"
