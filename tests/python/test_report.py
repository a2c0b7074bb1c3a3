"""The lending charts report: every chart has data, and the file stands on its own.

The report is built from a built copy of the project, rendered in headless Chromium, and
checked chart by chart: the plotted series are in the picture and the numbers under it
match the marts. The rejected-rows chart is checked both ways: a clear note while the
data-quality mart does not exist, and a chart once it does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import BrowserContext

from conftest import ARTIFACTS, PROJECT_ROOT, AnalystBuild

REPORT_SCRIPT = PROJECT_ROOT / "scripts" / "build_report.py"
CHARTS = ("success-rate", "sector-volume", "per-capita-growth", "rejections")


def build_report(database: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPORT_SCRIPT), "--database", str(database), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def read_charts(browser: BrowserContext, report: Path) -> dict[str, dict]:
    """What Chromium draws for each chart: its size, plotted series, note and data rows."""
    page = browser.new_page()
    try:
        page.goto(report.as_uri())
        return page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll('figure.chart'))
                .map(figure => {
                    const svg = figure.querySelector('svg');
                    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                    const series = svg ? Array.from(svg.querySelectorAll('[id^="data-"]'))
                        .filter(el => el.getBBox().width > 0 && el.getBBox().height > 0)
                        .map(el => el.id) : [];
                    return [figure.id, {
                        points: Number(figure.dataset.points),
                        width: box.width,
                        height: box.height,
                        series: series,
                        note: (figure.querySelector('.note') || {}).innerText || '',
                        rows: Array.from(figure.querySelectorAll('tbody tr'))
                            .map(tr => Array.from(tr.cells).map(td => td.textContent)),
                        caption: figure.querySelector('figcaption').innerText,
                    }];
                }))"""
        )
    finally:
        page.close()


@pytest.fixture(scope="module")
def report(analyst_build: AnalystBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("report") / "lending_report.html"
    result = build_report(analyst_build.database, output)
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout
    return output


@pytest.mark.slow
def test_report_is_self_contained(report: Path) -> None:
    page = report.read_text()
    assert "<script" not in page and "<link" not in page and "<img" not in page
    # Only in-page anchors and the SVG namespaces: nothing is fetched to view the report.
    references = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert all(ref.startswith("#") for ref in references), set(references)
    assert "url(http" not in page and "@import" not in page


@pytest.mark.slow
def test_every_chart_has_data_axes_and_units(
    report: Path, analyst_build: AnalystBuild, browser: BrowserContext
) -> None:
    charts = read_charts(browser, report)
    assert tuple(charts) == CHARTS
    for chart_id in CHARTS[:3]:
        chart = charts[chart_id]
        assert chart["points"] > 0 and len(chart["rows"]) == chart["points"], chart_id
        assert chart["width"] > 300 and chart["height"] > 200, chart_id
        assert chart["series"], f"{chart_id}: nothing plotted"
    page = report.read_text()
    for label in (
        "Success rate (%)",
        "Volume of completed transactions (USD billions)",
        "Lending per capita (USD per resident)",
        "GDP growth, average of the year (% on a year earlier)",
    ):
        # Axis labels are drawn as outlines; matplotlib keeps the text in a comment.
        assert f"<!-- {label} -->" in page, label

    with duckdb.connect(str(analyst_build.database), read_only=True) as con:
        countries, quarters = con.execute(
            "select count(distinct country_code), "
            "count(distinct date_trunc('quarter', month_start_date)) from fct_country_monthly"
        ).fetchone()
        sector_volume = dict(
            con.execute(
                "select sector_name, sum(volume_usd) / 1e9 from fct_sector_monthly group by 1"
            ).fetchall()
        )
        complete_years = con.execute(
            "select count(*) from (select extract(year from month_start_date) "
            "from fct_country_monthly group by 1 having count(distinct month_start_date) = 12)"
        ).fetchone()[0]
    assert charts["success-rate"]["points"] == countries * quarters
    assert len({s.rsplit("-", 1)[-1] for s in charts["success-rate"]["series"]}) == countries
    volumes = {row[0]: float(row[5].replace(",", "")) for row in charts["sector-volume"]["rows"]}
    assert volumes.keys() == sector_volume.keys()
    for sector, volume in sector_volume.items():
        assert volumes[sector] == pytest.approx(float(volume), abs=0.01), sector
    assert charts["per-capita-growth"]["points"] == countries * complete_years


@pytest.mark.slow
def test_rejections_chart_waits_for_the_data_quality_mart(
    report: Path, browser: BrowserContext
) -> None:
    chart = read_charts(browser, report)["rejections"]
    assert chart["points"] == 0 and not chart["series"]
    assert "fct_data_quality_daily" in chart["note"] and "not built yet" in chart["note"]


@pytest.mark.slow
def test_rejections_chart_plots_the_data_quality_mart_once_it_exists(
    analyst_build: AnalystBuild, browser: BrowserContext, tmp_path: Path
) -> None:
    database = tmp_path / "with_quality.duckdb"
    shutil.copyfile(analyst_build.database, database)
    rejected = [
        (date(2024, 8, 1), "transactions", "unknown_country_code", 7),
        (date(2024, 8, 2), "transactions", "unknown_country_code", 5),
        (date(2024, 8, 2), "transactions", "non_positive_amount", 3),
        (date(2024, 8, 3), "economic_indicators", "missing_exchange_rate", 2),
        (date(2024, 8, 3), "transactions", "missing_exchange_rate", 0),
    ]
    with duckdb.connect(str(database)) as con:
        con.execute(
            "create table fct_data_quality_daily (quality_date date, source_name varchar, "
            "rejection_reason varchar, rejected_row_count bigint)"
        )
        con.executemany("insert into fct_data_quality_daily values (?, ?, ?, ?)", rejected)
    output = tmp_path / "report.html"
    result = build_report(database, output)
    assert result.returncode == 0, result.stderr

    charts = read_charts(browser, output)
    for chart_id in CHARTS:
        assert charts[chart_id]["points"] > 0, chart_id
        assert charts[chart_id]["series"], chart_id
    rows = {(r[0], r[1]): int(r[2]) for r in charts["rejections"]["rows"]}
    assert rows == {
        ("unknown_country_code", "transactions"): 12,
        ("non_positive_amount", "transactions"): 3,
        ("missing_exchange_rate", "economic_indicators"): 2,
    }
    assert len(charts["rejections"]["series"]) == 3  # one bar per non-zero source and reason
    assert "1 August 2024 to 3 August 2024" in charts["rejections"]["caption"]
    assert "<!-- Rejected rows (count) -->" in output.read_text()

    # The full report, every chart drawn: kept for people to look at.
    page = browser.new_page()
    try:
        page.goto(output.as_uri())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "lending-report.png", full_page=True)
    finally:
        page.close()


def test_report_without_a_warehouse_says_what_to_do(tmp_path: Path) -> None:
    result = build_report(tmp_path / "missing.duckdb", tmp_path / "report.html")
    assert result.returncode == 1
    assert "make run" in result.stderr
    assert not (tmp_path / "report.html").exists()
