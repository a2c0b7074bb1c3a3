"""The build lock and the owner-only data folders (lending.locking), and what lending-build
leaves on disk."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lending import locking, settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_symlink_at_the_locks_path_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "important.txt"
    victim.write_text("do not truncate me")
    database = tmp_path / "warehouse.duckdb"
    locking.lock_path(database).symlink_to(victim)
    with (
        pytest.raises(locking.LockError, match="is a symbolic link"),
        locking.exclusive_lock(database),
    ):
        pytest.fail("the lock was taken through a link")
    assert victim.read_text() == "do not truncate me"


def test_the_lock_names_its_holder_and_is_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "data" / "warehouse.duckdb"
    with locking.exclusive_lock(database, "replacing the raw data"):
        lock = locking.lock_path(database)
        assert lock.read_text().endswith(", replacing the raw data")
        assert mode(lock) == 0o600
        assert mode(database.parent) == 0o700


def test_the_projects_data_folder_is_made_owner_only_and_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path)
    (tmp_path / "data").mkdir(mode=0o755)
    (tmp_path / "data").chmod(0o755)  # as an older checkout, under umask 022, made it
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    locking.private_directory(tmp_path / "data" / "raw")
    locking.private_directory(shared / "raw")
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "raw") == 0o700
    assert mode(shared) == 0o755  # not ours to change
    assert mode(shared / "raw") == 0o700


@pytest.mark.slow
def test_what_a_build_writes_is_owner_only(small_build: dict) -> None:
    """The DuckDB file (every row of the bank's data) and the generated files."""
    assert mode(small_build["database"]) & 0o077 == 0
    for path in small_build["raw"].rglob("*"):
        assert mode(path) & 0o077 == 0, path
