"""The macro anchors are data (macro_anchors.toml): every country and indicator has a path
over the whole extract, a malformed entry (or dates out of order, which would interpolate
to wrong figures) is refused with its file and key, and an edited figure makes earlier
datasets stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lending.generator import dataset, profiles
from lending.generator.periods import BASE_LAST_MONTH
from lending.generator.profiles import COUNTRIES, INDICATORS, MACRO_ANCHORS, load_macro_anchors


def test_every_country_has_anchors_for_every_indicator_over_the_extract() -> None:
    assert list(MACRO_ANCHORS) == [country.code for country in COUNTRIES]
    for country, series in MACRO_ANCHORS.items():
        assert list(series) == [indicator.code for indicator in INDICATORS], country
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


def test_an_edited_figure_changes_the_generator_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dataset.generator_fingerprint()
    package = tmp_path / "generator"
    package.mkdir()
    for path in Path(dataset.__file__).parent.glob("*.py"):
        (package / path.name).write_bytes(path.read_bytes())
    figures = profiles.MACRO_ANCHORS_FILE.read_text()
    (package / "macro_anchors.toml").write_text(figures)
    monkeypatch.setattr(dataset, "__file__", str(package / "dataset.py"))
    assert dataset.generator_fingerprint() == before
    (package / "macro_anchors.toml").write_text(figures.replace("6.96", "6.97", 1))
    assert dataset.generator_fingerprint() != before
