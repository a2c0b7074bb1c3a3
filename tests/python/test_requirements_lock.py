"""The runtime is installed hash-checked: requirements-lock.txt pins exactly what
requirements.txt pins, each with the sha256 of its files (pip-compile --generate-hashes,
`make lock`), and the Makefile installs it with --require-hashes, so a package changed on
the index, or a requirements.txt edited without regenerating the lock, fails the install
or this test."""

from __future__ import annotations

import re

import pytest

from conftest import PROJECT_ROOT

REQUIREMENTS = PROJECT_ROOT / "requirements.txt"
LOCK = PROJECT_ROOT / "requirements-lock.txt"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", re.MULTILINE)


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    return {normalised(name): version for name, version in PIN.findall(text)}


def locked(text: str) -> dict[str, tuple[str, int]]:
    """Each locked requirement: its version and how many hashes it carries."""
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            hashes = len(re.findall(r"--hash=sha256:[0-9a-f]{64}", block))
            entries[normalised(match[1])] = (match[2], hashes)
    return entries


def lock_problems(requirements: str, lock: str) -> list[str]:
    wanted, have = pins(requirements), locked(lock)
    problems = [
        f"{name}=={version}: the lock has {have[name][0] if name in have else 'nothing'}"
        for name, version in sorted(wanted.items())
        if have.get(name, ("",))[0] != version
    ]
    problems += [f"{name}: no hash" for name, (_, hashes) in sorted(have.items()) if not hashes]
    # What only the lock pins is what pip-compile adds for --allow-unsafe: setuptools, pip.
    problems += [
        f"{name}: locked, not in requirements.txt"
        for name in sorted(have.keys() - wanted.keys() - {"setuptools", "pip"})
    ]
    return problems


def test_the_lock_pins_every_requirement_with_its_hashes() -> None:
    assert lock_problems(REQUIREMENTS.read_text(), LOCK.read_text()) == []
    assert len(locked(LOCK.read_text())) >= len(pins(REQUIREMENTS.read_text()))


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
def test_requirements_changed_without_the_lock_are_caught(old: str, new: str, problem: str) -> None:
    requirements = REQUIREMENTS.read_text()
    assert old in requirements
    problems = lock_problems(requirements.replace(old, new, 1), LOCK.read_text())
    assert any(found.startswith(problem) for found in problems), problems


def test_a_lock_entry_without_a_hash_is_caught() -> None:
    lock = re.sub(r"(agate==\S+) \\\n(\s+--hash=\S+ \\\n)*\s+--hash=\S+", r"\1", LOCK.read_text())
    assert "agate: no hash" in lock_problems(REQUIREMENTS.read_text(), lock)


def test_the_runtime_is_installed_with_require_hashes_from_the_lock() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    rule = re.search(r"^\$\(RUNTIME_STAMP\):.*?(?=^\S)", makefile, re.MULTILINE | re.DOTALL)
    assert rule, "no $(RUNTIME_STAMP) rule"
    assert "requirements-lock.txt" in rule[0].splitlines()[0]
    assert "--require-hashes -r requirements-lock.txt" in rule[0]
    assert "-r requirements.txt" not in rule[0]
