"""One process at a time: the build lock, and the owner-only folders local data lives in.

`lending-build` holds the lock while dbt writes the DuckDB file; `lending-generate` holds
it while it swaps a new dataset into the folder the build reads, so a build never sees
half of one delivery and half of the next. A second process waits for the first.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lending import settings

# Owner-only: the data is the bank's (synthetic here, but the same code runs on real
# extracts), and the DuckDB file and its spill folder hold all of it.
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_UMASK = 0o077


class LockError(Exception):
    """The lock file cannot be used; the message says why and what to do."""


def lock_path(database: Path) -> Path:
    """The build lock, next to the DuckDB file it protects."""
    return database.with_name(database.name + ".lock")


def private_directory(path: Path) -> Path:
    """`path`, created owner-only (with each missing parent). The project's own data/
    folder is made owner-only too if an older checkout created it readable by others;
    any other existing folder is left as it is (it may be shared on purpose, like /tmp)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIRECTORY_MODE, exist_ok=True)
    project_data = settings.PROJECT_ROOT / "data"
    for directory in (path, *path.parents):
        if directory.exists() and directory.resolve() == project_data.resolve():
            directory.chmod(PRIVATE_DIRECTORY_MODE)
    return path


def restrict_new_files() -> None:
    """Files and folders this process and its children (dbt, DuckDB) create from now on
    are owner-only."""
    os.umask(PRIVATE_UMASK)


def _open_lock(path: Path) -> int:
    # O_NOFOLLOW: a symbolic link planted at the lock's path would otherwise make the
    # truncate-and-write below destroy whatever file it points to.
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LockError(
                f"{path} is a symbolic link; the build lock is always a plain file: "
                "remove the link and run again"
            ) from None
        raise LockError(f"cannot open the build lock {path}: {error.strerror}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise LockError(f"{path} is not a plain file; remove it and run again")
    return descriptor


@contextmanager
def exclusive_lock(database: Path, purpose: str = "building") -> Iterator[None]:
    """Hold the build lock of `database` for the block; wait while another process does.
    `purpose` says, to whoever waits, what this process is doing."""
    path = lock_path(database)
    private_directory(path.parent)
    with os.fdopen(_open_lock(path), "r+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            print(
                f"Another build ({holder}) is using {database}; waiting for it to finish...",
                flush=True,
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}, {purpose}")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)
