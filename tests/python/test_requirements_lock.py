"""Every virtual environment is installed hash-checked: each requirements file a person
edits (<name>.txt) has a lock (<name>-lock.txt) pinning exactly what it pins, each with the
sha256 of its files (pip-compile --generate-hashes, `make lock`), and every `pip install` of
the Makefile reads a lock with --require-hashes. So a package changed on the index, a
requirements file edited without regenerating its lock, or an install that skips the lock
fails the install or this test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", re.MULTILINE)
INCLUDE = re.compile(r"^-r\s+(\S+)", re.MULTILINE)
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
# What pip-compile adds for --allow-unsafe, locked without being asked for.
UNSAFE = {"setuptools", "pip"}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """What a requirements file pins, with the files it includes (-r); not its
    constraints (-c), which limit versions without asking for a package."""
    text = path.read_text()
    found: dict[str, str] = {}
    for included in INCLUDE.findall(text):
        found |= pins(path.parent / included)
    return found | {normalised(name): version for name, version in PIN.findall(text)}


def locked(text: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each locked requirement: its version and its hashes."""
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            entries[normalised(match[1])] = (match[2], tuple(sorted(HASH.findall(block))))
    return entries


def lock_problems(wanted: dict[str, str], lock: str) -> list[str]:
    have = locked(lock)
    problems = [
        f"{name}=={version}: the lock has {have[name][0] if name in have else 'nothing'}"
        for name, version in sorted(wanted.items())
        if have.get(name, ("",))[0] != version
    ]
    problems += [f"{name}: no hash" for name, (_, hashes) in sorted(have.items()) if not hashes]
    problems += [
        f"{name}: locked, not in the requirements"
        for name in sorted(have.keys() - wanted.keys() - UNSAFE)
    ]
    return problems


def makefile() -> str:
    """The Makefile with its continued lines joined."""
    return (PROJECT_ROOT / "Makefile").read_text().replace("\\\n", " ")


def lock_pairs(text: str) -> dict[str, str]:
    """requirements file -> its lock, from the Makefile's LOCKS (what `make lock` compiles)."""
    (value,) = re.findall(r"^LOCKS :=(.*)$", text, re.MULTILINE)
    return dict(pair.split(":") for pair in value.split())


def installs(text: str) -> list[str]:
    """The Makefile's `pip install` commands, with $(PIP_INSTALL) spelled out."""
    (pip_install,) = re.findall(r"^PIP_INSTALL :=(.*)$", text, re.MULTILINE)
    return [
        line.replace("$(PIP_INSTALL)", pip_install).strip()
        for line in text.splitlines()
        if ("pip install" in line or "$(PIP_INSTALL)" in line)
        and not line.startswith(("#", "PIP_INSTALL :="))
    ]


def pip_install_problems(text: str) -> list[str]:
    """Every `pip install` of the Makefile either reads a lock with --require-hashes or
    installs the project itself with --no-deps (nothing from the index)."""
    problems = []
    for line in installs(text):
        if " -e . " in f"{line} " and "--no-deps" in line:
            continue
        requirement = re.search(r"--require-hashes\s+-r\s+(\S+)", line)
        if not requirement or not requirement[1].endswith("-lock.txt"):
            problems.append(f"not installed from a lock with --require-hashes: {line}")
    return problems


REQUIREMENT_FILES = sorted(
    path.name for path in PROJECT_ROOT.glob("requirements*.txt") if not path.stem.endswith("-lock")
)


def test_every_requirements_file_has_a_lock_named_after_it() -> None:
    pairs = lock_pairs(makefile())
    assert sorted(pairs) == REQUIREMENT_FILES
    assert all(lock == name.removesuffix(".txt") + "-lock.txt" for name, lock in pairs.items())
    locks = sorted(path.name for path in PROJECT_ROOT.glob("requirements*-lock.txt"))
    assert locks == sorted(pairs.values())


@pytest.mark.parametrize("requirements", REQUIREMENT_FILES)
def test_each_lock_pins_every_requirement_with_its_hashes(requirements: str) -> None:
    lock = lock_pairs(makefile())[requirements]
    wanted = pins(PROJECT_ROOT / requirements)
    assert wanted
    assert lock_problems(wanted, (PROJECT_ROOT / lock).read_text()) == []


def test_the_dev_lock_keeps_the_runtime_locks_pins_and_hashes() -> None:
    """Both install into .venv, the runtime first: the dev lock must not change a runtime
    package, nor accept a file the runtime lock does not."""
    runtime = locked((PROJECT_ROOT / "requirements-lock.txt").read_text())
    dev = locked((PROJECT_ROOT / "requirements-dev-lock.txt").read_text())
    assert {name: dev[name] for name in runtime} == runtime


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("dbt-core==", "dbt-core==0.0.1\n# was ", "dbt-core==0.0.1: the lock has"),
        (
            "\nduckdb==",
            "\nduckdb-extras==1.0\nduckdb==",
            "duckdb-extras==1.0: the lock has nothing",
        ),
    ],
    ids=["bumped-without-locking", "added-without-locking"],
)
def test_requirements_changed_without_the_lock_are_caught(
    old: str, new: str, problem: str, tmp_path: Path
) -> None:
    requirements = (PROJECT_ROOT / "requirements.txt").read_text()
    assert old in requirements
    (tmp_path / "requirements.txt").write_text(requirements.replace(old, new, 1))
    lock = (PROJECT_ROOT / "requirements-lock.txt").read_text()
    problems = lock_problems(pins(tmp_path / "requirements.txt"), lock)
    assert any(found.startswith(problem) for found in problems), problems


def test_a_lock_entry_without_a_hash_is_caught() -> None:
    text = (PROJECT_ROOT / "requirements-airflow-lock.txt").read_text()
    broken = re.sub(r"(apache-airflow==\S+) \\\n(\s+--hash=\S+ \\\n)*\s+--hash=\S+", r"\1", text)
    assert broken != text
    wanted = pins(PROJECT_ROOT / "requirements-airflow.txt")
    assert lock_problems(wanted, broken) == ["apache-airflow: no hash"]


def test_every_makefile_install_reads_a_lock_with_require_hashes() -> None:
    text = makefile()
    assert pip_install_problems(text) == []
    # The runtime, the project itself, dev, bouncer, infra, Airflow and pip-tools.
    assert len(installs(text)) == 7


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("--require-hashes -r requirements-airflow-lock.txt", "-r requirements-airflow.txt"),
        ("--require-hashes -r requirements-infra-lock.txt", "-r requirements-infra-lock.txt"),
        (
            "--require-hashes -r requirements-dev-lock.txt",
            "--require-hashes -r requirements-dev.txt",
        ),
    ],
    ids=["airflow-unlocked", "infra-without-require-hashes", "dev-from-its-unlocked-file"],
)
def test_an_install_without_the_lock_or_require_hashes_is_caught(old: str, new: str) -> None:
    text = makefile()
    assert old in text
    (problem,) = pip_install_problems(text.replace(old, new))
    assert new in problem


def unpinned_bases(lock: str) -> list[str]:
    """The pins with an extra (`uvicorn[standard]==0.54.0`) whose package is not also pinned
    without it, with the same hashes. pip 23.2 (Python 3.11's venv) resolves a dependency's
    plain `uvicorn>=0.37` apart from the extra's pin and then refuses it as unpinned in
    --require-hashes mode: the Airflow venv failed to install from a fresh clone so."""
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock)
    plain = {
        normalised(match[1]): (match[2], tuple(sorted(HASH.findall(block))))
        for block in blocks
        if (match := re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", block))
    }
    return [
        match[0]
        for block in blocks
        if (match := re.match(r"^([A-Za-z0-9_.-]+)\[[^\]]*\]==(\S+)", block))
        and plain.get(normalised(match[1])) != (match[2], tuple(sorted(HASH.findall(block))))
    ]


@pytest.mark.parametrize("requirements", REQUIREMENT_FILES)
def test_each_pin_with_an_extra_is_pinned_without_it_too(requirements: str) -> None:
    lock = lock_pairs(makefile())[requirements]
    assert unpinned_bases((PROJECT_ROOT / lock).read_text()) == []


def test_a_pin_with_an_extra_alone_is_caught() -> None:
    hashes = "    --hash=sha256:" + "a" * 64
    lock = f"uvicorn[standard]==0.54.0 \\\n{hashes}\nuvloop==0.23.0 \\\n{hashes}\n"
    assert unpinned_bases(lock) == ["uvicorn[standard]==0.54.0"]
    assert unpinned_bases(lock + f"uvicorn==0.54.0 \\\n{hashes}\n") == []
    assert unpinned_bases(lock + f"uvicorn==0.55.0 \\\n{hashes}\n") == ["uvicorn[standard]==0.54.0"]
