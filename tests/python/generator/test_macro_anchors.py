"""The macro anchors are data (macro_anchors.toml): every country and indicator has a path
over the whole extract (a missing or unknown one is refused, naming the country), a
malformed entry (or dates out of order, which would interpolate to wrong figures) is
refused with its file and key, an edited figure makes earlier datasets stale and a comment
does not, and each indicator keeps its own random stream whatever its place."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from lending.generator import dataset, profiles
from lending.generator.periods import BASE_LAST_MONTH
from lending.generator.profiles import COUNTRIES, INDICATORS, MACRO_ANCHORS, load_macro_anchors


def test_every_country_has_anchors_for_every_indicator_over_the_extract() -> None:
    assert list(MACRO_ANCHORS) == [country.code for country in COUNTRIES]
    for country, series in MACRO_ANCHORS.items():
        assert set(series) == {indicator.code for indicator in INDICATORS}, country
        for code, anchors in series.items():
            dates = [date for date, _ in anchors]
            assert dates == sorted(dates), f"{country}.{code} is not in date order"
            assert dates[0] == "2018-12" and dates[-1] == str(BASE_LAST_MONTH), f"{country}.{code}"


def test_the_short_forms_expand_to_their_months() -> None:
    assert MACRO_ANCHORS["BOL"]["exchange_rate"] == tuple(
        (month, 6.96) for month in profiles.YEAR_END_MONTHS
    )
    argentina = dict(MACRO_ANCHORS["ARG"]["gdp_growth"])
    assert argentina["2020-02"] == argentina["2019-12"] == -1.8
    assert argentina["2020-05"] == -25.0


@pytest.mark.parametrize(
    "written",
    [
        'inflation = [["2018-12", 1.5, 2.0]]',
        "inflation.year_ends = [1.5, 1.5]",
        "inflation.quarterly = [1.5, 1.5, 0.7, 0.9, 3.1, 2.1, 4.6]",
        "inflation = 1.5",
        "inflation = []",
        'inflation = [["2019-12", 1.5], ["2018-12", 1.5]]',
        'inflation = [["2018-12", 1.5], ["2019-13", 1.5]]',
    ],
    ids=[
        "three-item-pair",
        "too-few-year-ends",
        "unknown-form",
        "a-number",
        "no-anchors",
        "out-of-order",
        "no-such-month",
    ],
)
def test_a_malformed_entry_names_the_file_and_the_key(tmp_path: Path, written: str) -> None:
    anchors = tmp_path / "macro_anchors.toml"
    anchors.write_text(f"[BOL]\n{written}\n")
    with pytest.raises(ValueError, match=f"^{re.escape(str(anchors))}: BOL.inflation: "):
        load_macro_anchors(anchors)


@pytest.fixture
def generator_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the generator's files, which generator_fingerprint() then reads: the
    same fingerprint as the project's until a test edits it."""
    package = tmp_path / "generator"
    package.mkdir()
    for path in [*Path(dataset.__file__).parent.glob("*.py"), profiles.MACRO_ANCHORS_FILE]:
        (package / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(dataset, "__file__", str(package / "dataset.py"))
    return package


def test_an_edited_figure_changes_the_generator_fingerprint(generator_copy: Path) -> None:
    before = dataset.generator_fingerprint()
    anchors = generator_copy / "macro_anchors.toml"
    anchors.write_text(anchors.read_text().replace("6.96", "6.97", 1))
    assert dataset.generator_fingerprint() != before


def test_only_what_can_change_the_files_changes_the_fingerprint(generator_copy: Path) -> None:
    """A comment, a docstring or the TOML's layout leave the data current; code does not."""
    before = dataset.generator_fingerprint()
    economy = generator_copy / "economy.py"
    code = economy.read_text()
    economy.write_text('"""Reworded."""\n# A new comment.\n' + code.split('"""', 2)[2])
    anchors = generator_copy / "macro_anchors.toml"
    anchors.write_text("# A note on the figures.\n\n" + anchors.read_text())
    assert dataset.generator_fingerprint() == before
    economy.write_text(code + "\nEXTRA = 1\n")
    assert dataset.generator_fingerprint() != before


def test_a_country_without_an_indicator_or_with_an_unknown_one_is_named(tmp_path: Path) -> None:
    """Every country lists every indicator, in any order: a missing one or a typo is named
    with the file and the country, not a KeyError deep in the generator."""
    figures = profiles.MACRO_ANCHORS_FILE.read_text()
    anchors = tmp_path / "macro_anchors.toml"
    bolivia = figures.index("[BOL]")
    policy_rate = figures.index("\npolicy_rate", bolivia)
    anchors.write_text(figures[:policy_rate] + "\npolicy_rte" + figures[policy_rate + 12 :])
    with pytest.raises(ValueError) as refused:
        load_macro_anchors(anchors)
    assert str(refused.value).startswith(f"{anchors}: ")
    assert "[BOL] has no anchors for policy_rate" in str(refused.value)
    assert "[BOL] lists policy_rte, not an indicator of INDICATORS" in str(refused.value)


def test_indicators_keep_their_streams_whatever_their_order() -> None:
    """A new indicator anywhere in INDICATORS leaves the others' series as they were: each
    draws from its own stream, and two with one stream are refused."""
    shuffled = tuple(reversed(profiles.INDICATORS))
    assert profiles.check_indicators(shuffled) == shuffled
    clash = replace(profiles.INDICATORS[0], code="new_indicator")
    with pytest.raises(
        ValueError, match=r"the stream 0 is given to more than one indicator.*next free one is 8"
    ):
        profiles.check_indicators((*profiles.INDICATORS, clash))
