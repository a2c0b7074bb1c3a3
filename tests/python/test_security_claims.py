"""SECURITY.md's claims name their tests: every test file and test function it names
exists, so a renamed or deleted test leaves no claim pointing at nothing."""

from __future__ import annotations

import re

from conftest import PROJECT_ROOT

SECURITY = (PROJECT_ROOT / "SECURITY.md").read_text()
TESTS = PROJECT_ROOT / "tests" / "python"


def test_every_test_file_it_names_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/.-]+\.(?:py|sql))`", SECURITY))
    assert len(named) > 10
    assert sorted(path for path in named if not (PROJECT_ROOT / path).is_file()) == []


def test_every_test_function_it_names_exists() -> None:
    named = set(re.findall(r"`(test_\w+)`", SECURITY))
    defined = {
        name
        for path in TESTS.rglob("*.py")
        for name in re.findall(r"^def (test_\w+)", path.read_text(), flags=re.MULTILINE)
    }
    assert len(named) > 10
    assert sorted(named - defined) == []
