"""The README's quoted outputs are checked against their commands (lending.figures): a
stale block is named by line, with what it says and what the command prints now, and
rewritten; an unknown or unquoted output is an error. Here without running the commands:
`make dbt-checks` runs `lending-figures --check` after the default build."""

from __future__ import annotations

import pytest

from lending import figures

QUOTED = {name: [f"{name}: line 1", f"{name}: line 2"] for name in figures.OUTPUTS}


def readme(blocks: dict[str, list[str]]) -> str:
    parts = ["# A README", ""]
    for name, lines in blocks.items():
        parts += ["Some prose.", f"<!-- output: {name} -->", "```", *lines, "```", ""]
    return "\n".join(parts) + "\n"


def test_a_current_readme_passes_unchanged() -> None:
    text = readme(QUOTED)
    assert figures.differences(text, QUOTED.__getitem__) == (text, [])


def test_a_stale_block_is_named_and_rewritten() -> None:
    today = dict(QUOTED, **{"build-summary": ["build-summary: line 1", "94.82% now"]})
    text, found = figures.differences(readme(QUOTED), today.__getitem__)
    assert text == readme(today)
    assert found == [
        "README.md:7: output 'build-summary' is not what its command prints today:"
        " 'build-summary: line 2' is now '94.82% now'"
    ]


def test_an_unquoted_output_is_named() -> None:
    partial = {name: lines for name, lines in QUOTED.items() if name != "make-metrics"}
    _, found = figures.differences(readme(partial), QUOTED.__getitem__)
    assert found == [
        "README.md: output 'make-metrics' is quoted nowhere (no `<!-- output: make-metrics -->`)"
    ]


def test_a_marker_no_command_prints_is_an_error() -> None:
    with pytest.raises(figures.FigureError, match="no command prints output 'typo'"):
        figures.differences(readme({"typo": ["x"]}), QUOTED.__getitem__)


def test_the_readme_quotes_every_output_once() -> None:
    assert set(figures.quoted(figures.README.read_text())) == set(figures.OUTPUTS)
