"""The lending charts report: every chart has data, and the file stands on its own.

The report is built from a built copy of the project (a dataset with a few defects of
every kind, so rejected rows exist), rendered in headless Chromium, and checked chart by
chart: the plotted series are in the picture and the numbers under it match the marts. A
warehouse built before the data-quality layer gets a clear note instead of that chart.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import BrowserContext

from conftest import ARTIFACTS, ProjectCopy, command, run_command
from lending.as_of import read_as_of
from lending.report.build import Chart, render_page

REPORT_SCRIPT = command("lending-report")
CHARTS = ("success-rate", "sector-volume", "per-capita-growth", "rejections")


def build_report(database: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return run_command(REPORT_SCRIPT, "--database", database, "--output", output, timeout=300)


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
def report(analyst_build: ProjectCopy, tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    report: Path, analyst_build: ProjectCopy, browser: BrowserContext
) -> None:
    charts = read_charts(browser, report)
    assert tuple(charts) == CHARTS
    for chart_id in CHARTS:
        chart = charts[chart_id]
        assert chart["points"] > 0 and len(chart["rows"]) == chart["points"], chart_id
        assert chart["width"] > 300 and chart["height"] > 200, chart_id
        assert chart["series"], f"{chart_id}: nothing plotted"
    page = report.read_text()
    for label in (
        "Success rate (%)",
        "Volume (USD billions)",
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
        sector_volume = {
            (str(year), sector): volume
            for year, sector, volume in con.execute(
                "select year(month_start_date), sector_name, sum(volume_usd) / 1e9 "
                "from fct_sector_monthly group by all"
            ).fetchall()
        }
        # Complete years with both figures: a year whose population was rejected is left out.
        plotted_years = con.execute(
            "select count(*) from (select country_code, extract(year from month_start_date) "
            "from fct_country_monthly group by all having count(*) = 12 "
            "and max(population) is not null and avg(gdp_growth_pct) is not null)"
        ).fetchone()[0]
        # And the partial year's months so far, beside the same months a year earlier.
        plotted_to_date = con.execute(
            "with partial_year as (select max(year(month_start_date)) as y, "
            "max(month(month_start_date)) as m from fct_country_monthly "
            "where not is_year_complete) "
            "select count(*) from (select country_code, year(month_start_date) "
            "from fct_country_monthly, partial_year "
            "where year(month_start_date) in (y - 1, y) and month(month_start_date) <= m "
            "group by all having max(population) is not null "
            "and avg(gdp_growth_pct) is not null)"
        ).fetchone()[0]
    assert charts["success-rate"]["points"] == countries * quarters
    assert len({s.rsplit("-", 1)[-1] for s in charts["success-rate"]["series"]}) == countries
    volumes = {
        (row[0].split()[0], row[1]): float(row[6].replace(",", ""))
        for row in charts["sector-volume"]["rows"]
    }
    assert volumes.keys() == sector_volume.keys()
    for key, volume in sector_volume.items():
        assert volumes[key] == pytest.approx(float(volume), abs=0.01), key
    # One panel per year: every year has its bars.
    drawn_years = {s.split("-")[3] for s in charts["sector-volume"]["series"]}
    assert drawn_years == {year for year, _ in sector_volume}
    assert plotted_years > 0 and plotted_to_date > 0
    assert charts["per-capita-growth"]["points"] == plotted_years + plotted_to_date


@pytest.mark.slow
def test_rejections_chart_counts_the_quarantine_by_reason(
    report: Path, analyst_build: ProjectCopy, browser: BrowserContext
) -> None:
    chart = read_charts(browser, report)["rejections"]
    with duckdb.connect(str(analyst_build.database), read_only=True) as con:
        expected = dict(
            ((reason, source), int(count))
            for reason, source, count in con.execute(
                "select rejection_reason, source_name, sum(rejected_row_count) "
                "from fct_rejection_reasons_monthly group by all"
            ).fetchall()
        )
    assert {(r[0], r[1]): int(r[2].replace(",", "")) for r in chart["rows"]} == expected
    assert {"duplicate_transaction_id", "unknown_country"} <= {r for r, _ in expected}
    assert len(chart["series"]) == len(expected)  # one bar per source and reason
    assert "<!-- Rejected rows (count) -->" in report.read_text()

    # The full report, every chart drawn: kept for people to look at.
    page = browser.new_page()
    try:
        page.goto(report.as_uri())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "lending-report.png", full_page=True)
    finally:
        page.close()


@pytest.mark.slow
def test_a_warehouse_without_the_data_quality_mart_gets_a_note(
    analyst_build: ProjectCopy, browser: BrowserContext, tmp_path: Path
) -> None:
    database = tmp_path / "before_data_quality.duckdb"
    shutil.copyfile(analyst_build.database, database)
    with duckdb.connect(str(database)) as con:
        con.execute("drop table fct_rejection_reasons_monthly")
    output = tmp_path / "report.html"
    result = build_report(database, output)
    assert result.returncode == 0, result.stderr
    chart = read_charts(browser, output)["rejections"]
    assert chart["points"] == 0 and not chart["series"]
    assert "fct_rejection_reasons_monthly" in chart["note"]
    assert "not built yet" in chart["note"]


def test_report_without_a_warehouse_says_what_to_do(tmp_path: Path) -> None:
    result = build_report(tmp_path / "missing.duckdb", tmp_path / "report.html")
    assert result.returncode == 1
    assert "make run" in result.stderr
    assert not (tmp_path / "report.html").exists()


def test_the_page_template_escapes_text_and_keeps_the_charts_svg() -> None:
    chart = Chart(
        chart_id="demo",
        title="<b>Loans & grants</b>",
        caption="From `fct_<demo>`, where x < 1.",
        columns=("Name", "Count", "Rate"),
        formats=("", ",", ".2%"),
        rows=[("<i>Peru</i>", 12345, None)],
        svg='<svg id="svg-demo"><path d="M0 0"/></svg>',
    )
    page = render_page([chart], "May 2024 & June 2024")
    assert "<h2>&lt;b&gt;Loans &amp; grants&lt;/b&gt;</h2>" in page
    assert "<figcaption>From <code>fct_&lt;demo&gt;</code>, where x &lt; 1.</figcaption>" in page
    assert "<tr><td>&lt;i&gt;Peru&lt;/i&gt;</td><td>12,345</td><td>&ndash;</td></tr>" in page
    assert '<svg id="svg-demo"><path d="M0 0"/></svg>' in page  # drawn by us: not escaped
    assert "May 2024 &amp; June 2024" in page
    assert 'data-points="1"' in page and "The 1 rows plotted" in page


@pytest.mark.slow
def test_tables_write_years_as_years_and_each_column_at_one_precision(
    report: Path, browser: BrowserContext
) -> None:
    charts = read_charts(browser, report)
    periods = [row[1] for row in charts["per-capita-growth"]["rows"]]
    assert periods and all(re.fullmatch(r"20\d\d( January-\w+)?", p) for p in periods), periods[:5]
    for chart_id, chart in charts.items():
        for column in zip(*chart["rows"], strict=True):
            numbers = [value for value in column if re.fullmatch(r"-?[\d,]+\.\d+%?", value)]
            decimals = {len(value.rstrip("%").split(".")[1]) for value in numbers}
            assert len(decimals) <= 1, (chart_id, column[:3], decimals)


@pytest.mark.slow
def test_partial_periods_are_marked_and_the_data_is_dated(
    report: Path, analyst_build: ProjectCopy, browser: BrowserContext
) -> None:
    with duckdb.connect(str(analyst_build.database), read_only=True) as con:
        as_of = read_as_of(con)
        partial_quarters = {
            label
            for (label,) in con.execute(
                "select distinct quarter_label from dim_months where not is_quarter_complete"
            ).fetchall()
        }
    assert as_of.sentence() in report.read_text()
    charts = read_charts(browser, report)
    quarters = {row[1] for row in charts["success-rate"]["rows"]}
    assert partial_quarters and {q for q in quarters if "partial" in q} == {
        f"{label} (partial: July-August)" for label in partial_quarters
    }
    assert "Hollow points are partial quarters" in charts["success-rate"]["caption"]
    years = {row[0] for row in charts["sector-volume"]["rows"]}
    assert f"{as_of.latest_month.year} (partial: January-August)" in years
    # The partial year per capita: its months so far beside the same months a year earlier.
    to_date = {row[1] for row in charts["per-capita-growth"]["rows"] if " " in row[1]}
    latest = as_of.latest_month.year
    assert to_date == {f"{latest - 1} January-August", f"{latest} January-August"}
    assert str(latest) not in {row[1] for row in charts["per-capita-growth"]["rows"]}
