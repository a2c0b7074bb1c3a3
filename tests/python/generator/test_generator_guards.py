"""What the generator may replace and delete, and when: only a folder it wrote (its own
manifest format and fingerprint, nothing but its own entries), through a symbolic link
without replacing the link, after what killed runs left, never under a running build, and
owner-only."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import command, run_generator
from lending.generator.dataset import MANIFEST_NAME

SMALL = ("--transactions", "100")


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def generated(output: Path, *args: str) -> dict:
    result = run_generator(*SMALL, *args, "--output", str(output))
    assert result.returncode == 0, result.stderr
    return json.loads((output / MANIFEST_NAME).read_text())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dataset the generator wrote, to copy its manifest from."""
    output = tmp_path_factory.mktemp("own") / "raw"
    generated(output)
    return output


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ("{}", "its _manifest.json is not in the generator's format 1"),
        (
            '{"format": 1, "files": {"transactions/a.parquet": 1}}',
            "its _manifest.json carries no generator fingerprint",
        ),
        ("[1, 2]", "it has no readable _manifest.json"),
    ],
    ids=["empty", "no-fingerprint", "not-an-object"],
)
def test_a_folder_with_a_manifest_not_ours_is_never_replaced(
    tmp_path: Path, manifest: str, problem: str
) -> None:
    target = tmp_path / "books"
    (target / "keep").mkdir(parents=True)
    (target / MANIFEST_NAME).write_text(manifest)
    (target / "keep" / "ledger.csv").write_text("id,amount\n1,100\n")
    result = run_generator(*SMALL, "--output", str(target))
    assert result.returncode == 1
    assert f"refusing to replace {target}: {problem}" in result.stderr, result.stderr
    assert (target / "keep" / "ledger.csv").read_text() == "id,amount\n1,100\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["books"]


def test_our_manifest_next_to_files_we_never_write_is_refused(
    tmp_path: Path, dataset: Path
) -> None:
    target = tmp_path / "books"
    (target / "keep").mkdir(parents=True)
    shutil.copy(dataset / MANIFEST_NAME, target / MANIFEST_NAME)
    (target / "keep" / "ledger.csv").write_text("id,amount\n")
    result = run_generator(*SMALL, "--output", str(target))
    assert result.returncode == 1
    assert "it holds keep, which the generator never writes" in result.stderr
    assert (target / "keep" / "ledger.csv").exists()


def test_a_manifest_listing_files_outside_the_dataset_is_refused(
    tmp_path: Path, dataset: Path
) -> None:
    target = tmp_path / "raw"
    shutil.copytree(dataset, target)
    manifest = json.loads((target / MANIFEST_NAME).read_text())
    manifest["files"]["../../etc/passwd"] = 1
    (target / MANIFEST_NAME).write_text(json.dumps(manifest))
    result = run_generator(*SMALL, "--output", str(target))
    assert result.returncode == 1
    assert "lists '../../etc/passwd', which is not a file of the dataset" in result.stderr


def test_a_symlinked_output_is_replaced_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "disk" / "raw"
    generated(real)
    link = tmp_path / "project" / "raw"
    link.parent.mkdir()
    link.symlink_to(real, target_is_directory=True)

    manifest = generated(link, "--seed", "3")

    assert link.is_symlink() and link.resolve() == real
    assert json.loads((real / MANIFEST_NAME).read_text()) == manifest
    assert manifest["options"]["seed"] == 3
    assert sorted(p.name for p in real.parent.iterdir()) == ["raw"]  # nothing left over
    assert sorted(p.name for p in link.parent.iterdir()) == ["raw"]


def test_what_killed_runs_left_is_cleaned_up(tmp_path: Path, dataset: Path) -> None:
    output = tmp_path / "raw"
    generated(output)
    pid = dead_pid()
    shutil.copytree(dataset, tmp_path / f".raw.old-{pid}")  # retired, never deleted
    (tmp_path / f".raw.tmp-{pid}" / "transactions").mkdir(parents=True)  # never finished
    generated(output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_a_run_killed_between_its_renames_gets_its_dataset_back(
    tmp_path: Path, dataset: Path
) -> None:
    """The old dataset was renamed away, the new one never renamed in: the retired copy
    is the only one, so it is put back, and then replaced as usual."""
    retired = tmp_path / f".raw.old-{dead_pid()}"
    shutil.copytree(dataset, retired)
    result = run_generator(*SMALL, "--output", str(tmp_path / "raw"), "--skip-if-current")
    assert result.returncode == 0, result.stderr
    assert "is current" in result.stdout  # the recovered dataset was the current one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_the_swap_into_the_builds_raw_data_waits_for_a_running_build(
    tmp_path: Path, dataset: Path
) -> None:
    raw = tmp_path / "data" / "raw"
    shutil.copytree(dataset, raw)
    database = tmp_path / "data" / "warehouse.duckdb"
    env = dict(os.environ, BANK_RAW_DATA_PATH=str(raw), DBT_DUCKDB_PATH=str(database))
    lock = (tmp_path / "data" / "warehouse.duckdb.lock").open("a+")
    fcntl.flock(lock, fcntl.LOCK_EX)  # a build is running
    lock.write("pid 1, building")
    lock.flush()
    generator = subprocess.Popen(
        [command("lending-generate"), *SMALL, "--seed", "4"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        waiting = generator.stdout.readline()
        assert f"Another build (pid 1, building) is using {database}" in waiting, waiting
        # Generated, but not swapped in: the build still reads the dataset it started on.
        assert json.loads((raw / MANIFEST_NAME).read_text())["options"]["seed"] != 4
        assert (tmp_path / "data" / f".raw.tmp-{generator.pid}" / MANIFEST_NAME).exists()
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
    assert generator.wait(timeout=300) == 0, generator.stdout.read()
    assert json.loads((raw / MANIFEST_NAME).read_text())["options"]["seed"] == 4


def test_a_new_data_folder_and_its_files_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "project" / "data"
    generated(data / "raw")
    for path in (tmp_path / "project", data, data / "raw", *(data / "raw").rglob("*")):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path}: {oct(mode)}"
