"""Each DAG run keeps its artifacts in a folder of runs/ that the steps empty first
(steps.start_run): whatever the run id, that folder is directly in runs/, so a run id of
`..` (the API and `airflow dags trigger --run-id` take any text) can never empty the
artifacts folder, or any other."""

from __future__ import annotations

import importlib
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from conftest import DAGS_FOLDER

HOSTILE_RUN_IDS = ["..", "../..", ".", "", "../../etc", "/tmp/x", "a/../../b", "manual__/../.."]


@pytest.fixture(scope="module")
def modules() -> tuple[ModuleType, ModuleType]:
    if str(DAGS_FOLDER) not in sys.path:
        sys.path.append(str(DAGS_FOLDER))
    return (
        importlib.import_module("monthly_delivery.config"),
        importlib.import_module("monthly_delivery.steps"),
    )


@pytest.fixture
def settings(modules: tuple[ModuleType, ModuleType], tmp_path: Path) -> object:
    config, _ = modules
    return replace(config.load(), artifacts_dir=tmp_path / "airflow")


def test_airflow_run_ids_keep_a_readable_folder(settings: object, tmp_path: Path) -> None:
    folder = settings.run_dir("scheduled__2024-09-01T00:00:00+00:00")
    assert folder == tmp_path / "airflow" / "runs" / "scheduled__2024-09-01T00-00-00_00-00"
    manual = settings.run_dir("manual__2024-09-03T10:11:12.123456+00:00")
    assert manual.name == "manual__2024-09-03T10-11-12.123456_00-00"


@pytest.mark.parametrize("run_id", HOSTILE_RUN_IDS)
def test_any_other_run_id_gets_a_hashed_folder_directly_in_runs(
    settings: object, tmp_path: Path, run_id: str
) -> None:
    folder = settings.run_dir(run_id)
    assert folder.parent == tmp_path / "airflow" / "runs"
    assert folder.name.startswith("run-") and len(folder.name) == len("run-") + 16


def precious_files(tmp_path: Path) -> list[Path]:
    """Files outside any run's folder: the metrics history, another run, a neighbour."""
    files = [
        tmp_path / "airflow" / "run_metrics.jsonl",
        tmp_path / "airflow" / "runs" / "scheduled__earlier" / "run_results.json",
        tmp_path / "precious.txt",
    ]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep")
    return files


@pytest.mark.parametrize("run_id", ["..", "../..", "a/../../b"])
def test_starting_a_hostile_run_empties_nothing_outside_runs(
    modules: tuple[ModuleType, ModuleType], settings: object, tmp_path: Path, run_id: str
) -> None:
    _, steps = modules
    files = precious_files(tmp_path)
    run_dir = steps.start_run(settings, run_id)
    assert all(path.exists() for path in files)
    assert run_dir.is_dir() and not any(run_dir.iterdir())


def test_the_former_rule_fails_the_check_above(
    modules: tuple[ModuleType, ModuleType],
    settings: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The broken copy: the former folder rule (only ':' and '+' replaced) makes `..` the
    artifacts folder itself, and start_run removes the metrics history and every run."""
    config, steps = modules
    monkeypatch.setattr(
        config.Settings,
        "run_dir",
        lambda self, run_id: self.artifacts_dir / "runs" / run_id.replace(":", "-"),
    )
    files = precious_files(tmp_path)
    # It then fails to make runs/.. (it exists again): the harm is done by then.
    with pytest.raises(FileExistsError):
        steps.start_run(settings, "..")
    assert [path.exists() for path in files] == [False, False, True]


def test_a_symlink_planted_in_runs_is_refused(settings: object, tmp_path: Path) -> None:
    """Even a name that looks like Airflow's: the folder must resolve directly into runs/."""
    run_id = "manual__2024-09-01T00:00:00+00:00"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    runs = tmp_path / "airflow" / "runs"
    runs.mkdir(parents=True)
    (runs / "manual__2024-09-01T00-00-00_00-00").symlink_to(elsewhere)
    with pytest.raises(ValueError, match="resolves outside"):
        settings.run_dir(run_id)
