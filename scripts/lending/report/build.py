"""Write the lending charts report: one self-contained HTML file drawn from the marts.

Four charts, each with axis labels and units, a caption that says what is plotted and
how it is computed, and the plotted numbers in a table underneath:
success rate over time by country, USD volume by sector, lending per capita against GDP
growth, and rejected rows by reason (from the data-quality mart, once it is built).
The charts are inline SVG with text drawn as outlines, so the file opens anywhere,
offline, and looks the same everywhere.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from lending import settings
from lending.definitions import success_rate_sql

DEFAULT_OUTPUT = "reports/lending_report.html"
DATA_QUALITY_MART = "fct_rejection_reasons_monthly"
REQUIRED_MARTS = ("fct_country_monthly", "fct_sector_monthly")
SECTOR_GROUP_COLOURS = {
    "Infrastructure": "#1f5f8b",
    "Social": "#c2571a",
    "Productive": "#3f8f4f",
}

plt.rcParams.update(
    {
        # Text as outlines: the report needs no fonts on the reader's machine.
        "svg.fonttype": "path",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#dddddd",
        "grid.linewidth": 0.6,
    }
)


@dataclass
class Chart:
    """One chart of the report: the picture and the numbers it plots."""

    chart_id: str
    title: str
    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[object, ...]] = field(default_factory=list)
    svg: str = ""
    note: str = ""

    @property
    def points(self) -> int:
        return len(self.rows) if self.svg else 0


class ReportError(Exception):
    """A problem the user can fix; the message says how."""


def relation_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a mart is published (the main schema; main_audit holds unpublished ones)."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'main' and table_name = ?",
        [name],
    ).fetchone()
    return bool(found and found[0])


def to_svg(fig: Figure, chart_id: str) -> str:
    """The figure as an inline <svg> element whose ids cannot clash with other charts'."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": chart_id, "svg.id": f"svg-{chart_id}"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def usd_billions(value: float, _position: float | None = None) -> str:
    return f"{value:,.0f}"


# --- success rate over time by country ------------------------------------------------


def success_rate_by_country(con: duckdb.DuckDBPyConnection) -> Chart:
    success_rate = success_rate_sql("sum(completed_count)", "sum(settled_count)")
    rows = con.execute(
        f"""
        select
            country_name,
            cast(date_trunc('quarter', month_start_date) as date) as quarter_start_date,
            sum(completed_count) as completed_count,
            sum(settled_count) as settled_count,
            {success_rate} as success_rate
        from fct_country_monthly
        group by all
        order by country_name, quarter_start_date
        """
    ).fetchall()
    overall = dict(
        con.execute(
            f"""
            select cast(date_trunc('quarter', month_start_date) as date), {success_rate}
            from fct_country_monthly
            group by all
            """
        ).fetchall()
    )
    chart = Chart(
        chart_id="success-rate",
        title="Success rate by country, quarterly",
        caption=(
            "Success rate = completed transactions / settled transactions (completed, "
            "failed or reversed) in the quarter; pending transactions are left out. "
            "Each panel is one country; the grey line is all ten countries together. "
            "A quarter with no settled transaction has no point."
        ),
        columns=("Country", "Quarter", "Completed", "Settled", "Success rate"),
        rows=[
            (country, f"{q.year} Q{(q.month - 1) // 3 + 1}", done, settled, rate)
            for country, q, done, settled, rate in rows
        ],
    )
    plotted = [row for row in rows if row[4] is not None]
    if not plotted:
        chart.note = "No transaction has settled yet, so there is no success rate to plot."
        return chart

    countries = sorted({row[0] for row in plotted})
    ncols = 5
    nrows = -(-len(countries) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(12, 2.6 * nrows + 0.6), sharex=True, sharey=True, squeeze=False
    )
    overall_quarters = sorted(q for q, rate in overall.items() if rate is not None)
    lowest = min(row[4] for row in plotted)
    for ax, country in zip(axes.flat, countries, strict=False):
        series = [(q, rate) for name, q, _, _, rate in plotted if name == country]
        ax.plot(
            overall_quarters,
            [overall[q] for q in overall_quarters],
            color="#bbbbbb",
            linewidth=1.2,
            label="All countries",
        )
        (line,) = ax.plot(
            [q for q, _ in series],
            [rate for _, rate in series],
            color="#1f5f8b",
            linewidth=1.6,
            marker="o",
            markersize=2.5,
            label=country,
        )
        line.set_gid(f"data-success-rate-{country}")
        ax.set_title(country, fontsize=10)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        ax.set_ylim(max(0.0, lowest - 0.05), 1.0)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    for ax in axes.flat[len(countries) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("Success rate (%)")
    for ax in axes[-1, :]:
        ax.set_xlabel("Quarter")
    fig.suptitle("Completed / settled transactions per quarter", fontsize=11)
    fig.tight_layout()
    chart.svg = to_svg(fig, chart.chart_id)
    return chart


# --- USD volume by sector -----------------------------------------------------------------


def volume_by_sector(con: duckdb.DuckDBPyConnection) -> Chart:
    rows = con.execute(
        """
        select
            sector_name,
            sector_group,
            cast(sum(disbursed_usd) as double precision) / 1e9 as disbursed_usd_bn,
            cast(sum(repaid_usd) as double precision) / 1e9 as repaid_usd_bn,
            cast(sum(volume_usd - disbursed_usd - repaid_usd) as double precision) / 1e9
                as interest_and_fees_usd_bn,
            cast(sum(volume_usd) as double precision) / 1e9 as volume_usd_bn
        from fct_sector_monthly
        group by all
        order by volume_usd_bn desc, sector_name
        """
    ).fetchall()
    first, last = con.execute(
        "select min(month_start_date), max(month_start_date) from fct_sector_monthly"
    ).fetchone()
    chart = Chart(
        chart_id="sector-volume",
        title="USD volume by sector",
        caption=(
            f"Completed transactions from {first:%B %Y} to {last:%B %Y}, all countries, in "
            "billions of US dollars, converted at each country's average exchange rate of "
            "the transaction's month. Volume = disbursements + principal repaid + interest "
            "and fees; failed, reversed and pending transactions move no money."
        ),
        columns=(
            "Sector",
            "Group",
            "Disbursed (USD bn)",
            "Repaid (USD bn)",
            "Interest and fees (USD bn)",
            "Volume (USD bn)",
        ),
        rows=list(rows),
    )
    if not any(row[5] for row in rows):
        chart.note = "No completed transaction yet, so there is no volume to plot."
        return chart

    ordered = list(reversed(rows))  # largest at the top of a horizontal bar chart
    labels = [f"{name} ({group})" for name, group, *_ in ordered]
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(rows) + 1.6))
    left = [0.0] * len(ordered)
    parts = (
        ("Disbursed", 2, "#1f5f8b"),
        ("Principal repaid", 3, "#7fb3d5"),
        ("Interest and fees", 4, "#f0b27a"),
    )
    for label, index, colour in parts:
        values = [row[index] for row in ordered]
        bars = ax.barh(labels, values, left=left, color=colour, label=label)
        for bar, row in zip(bars, ordered, strict=True):
            bar.set_gid(f"data-sector-volume-{label}-{row[0]}")
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        ax.annotate(
            f"{total:,.1f}",
            (total, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    for tick, (_, group, *_) in zip(ax.get_yticklabels(), ordered, strict=True):
        tick.set_color(SECTOR_GROUP_COLOURS.get(group, "#333333"))
    ax.xaxis.set_major_formatter(FuncFormatter(usd_billions))
    ax.set_xlabel("Volume of completed transactions (USD billions)")
    ax.set_ylabel("Sector (group)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    ax.set_xlim(0, max(left) * 1.12)
    fig.tight_layout()
    chart.svg = to_svg(fig, chart.chart_id)
    return chart


# --- lending per capita against GDP growth -----------------------------------------------


def per_capita_against_growth(con: duckdb.DuckDBPyConnection) -> Chart:
    rows = con.execute(
        """
        with years as (

            select
                country_name,
                extract(year from month_start_date) as calendar_year,
                count(*) as month_count,
                sum(disbursed_usd) / max(population) as lending_per_capita_usd,
                avg(gdp_growth_pct) as gdp_growth_pct
            from fct_country_monthly
            group by all

        )

        select country_name, calendar_year, lending_per_capita_usd, gdp_growth_pct
        from years
        where
            month_count = 12
            and gdp_growth_pct is not null
            and lending_per_capita_usd is not null
        order by country_name, calendar_year
        """
    ).fetchall()
    chart = Chart(
        chart_id="per-capita-growth",
        title="Lending per capita against GDP growth, by country and year",
        caption=(
            "One point per country and complete calendar year. Lending per capita = USD "
            "disbursed in the year / the country's population that year (US dollars per "
            "resident). GDP growth = the year's average of monthly real activity growth on "
            "the same month a year earlier (percent). Partial years, and years whose "
            "population or GDP figures were rejected by the data-quality checks, are left out."
        ),
        columns=("Country", "Year", "Lending per capita (USD)", "GDP growth (%)"),
        rows=[(c, int(y), float(lpc), float(g)) for c, y, lpc, g in rows],
    )
    if not rows:
        chart.note = "No complete calendar year with GDP data yet, so there is nothing to plot."
        return chart

    countries = sorted({row[0] for row in rows})
    palette = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(11, 6.2))
    for index, country in enumerate(countries):
        points = [(g, lpc, y) for c, y, lpc, g in chart.rows if c == country]
        collection = ax.scatter(
            [p[0] for p in points],
            [p[1] for p in points],
            s=36,
            color=palette(index % 10),
            label=country,
            edgecolors="white",
            linewidths=0.5,
        )
        collection.set_gid(f"data-per-capita-growth-{country}")
        for growth, per_capita, year in points:
            ax.annotate(
                f"{year % 100:02d}",
                (growth, per_capita),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=6.5,
                color="#555555",
            )
    ax.axvline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel("GDP growth, average of the year (% on a year earlier)")
    ax.set_ylabel("Lending per capita (USD per resident)")
    ax.legend(title="Country (labels: year)", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    chart.svg = to_svg(fig, chart.chart_id)
    return chart


# --- rejected rows by reason ---------------------------------------------------------------


def rejections_by_reason(con: duckdb.DuckDBPyConnection) -> Chart:
    chart = Chart(
        chart_id="rejections",
        title="Rejected rows by reason",
        caption=(
            "Source rows the data-quality layer quarantined instead of loading, by the rule "
            f"they failed and the source they came from (from `{DATA_QUALITY_MART}`)."
        ),
        columns=("Rejection reason", "Source", "Rejected rows"),
    )
    if not relation_exists(con, DATA_QUALITY_MART):
        chart.note = (
            f"The data-quality mart `{DATA_QUALITY_MART}` is not built yet in this "
            "warehouse, so rejected rows cannot be shown. This chart appears once the "
            "data-quality layer is part of the build (`make run`)."
        )
        return chart
    rows = con.execute(
        f"""
        select rejection_reason, source_name, sum(rejected_row_count) as rejected_rows
        from {DATA_QUALITY_MART}
        group by all
        having sum(rejected_row_count) > 0
        order by rejected_rows desc, rejection_reason, source_name
        """
    ).fetchall()
    chart.rows = [(reason, source, int(count)) for reason, source, count in rows]
    if not rows:
        chart.note = f"`{DATA_QUALITY_MART}` is built and records no rejected row."
        return chart

    first, last = con.execute(
        f"select min(month_start_date), max(month_start_date) from {DATA_QUALITY_MART}"
    ).fetchone()
    chart.caption += f" Rows delivered from {first:%B %Y} to {last:%B %Y}."
    reasons = list(dict.fromkeys(reason for reason, _, _ in reversed(chart.rows)))
    sources = sorted({source for _, source, _ in chart.rows})
    palette = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(11, 0.5 * len(reasons) + 1.6))
    left = [0] * len(reasons)
    for index, source in enumerate(sources):
        counts = {reason: count for reason, src, count in chart.rows if src == source}
        values = [counts.get(reason, 0) for reason in reasons]
        bars = ax.barh(reasons, values, left=left, color=palette(index % 10), label=source)
        for bar, reason in zip(bars, reasons, strict=True):
            bar.set_gid(f"data-rejections-{source}-{reason}")
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        ax.annotate(
            f"{total:,}", (total, y), xytext=(4, 0), textcoords="offset points", va="center"
        )
    ax.set_xlabel("Rejected rows (count)")
    ax.set_ylabel("Rejection reason")
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(left) * 1.15)
    ax.legend(title="Source", loc="lower right", frameon=False)
    fig.tight_layout()
    chart.svg = to_svg(fig, chart.chart_id)
    return chart


# --- the page --------------------------------------------------------------------------------


def code_spans(text: str) -> Markup:
    """Escaped text with `backticked` names set as code, as in the docs site."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def cell(value: object) -> str | Markup:
    """A table cell: numbers with thousands separators, a dash for a missing value."""
    if value is None:
        return Markup("&ndash;")
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@cache
def templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("lending.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters.update(code_spans=code_spans, cell=cell)
    return environment


def render_page(charts: Sequence[Chart], period: str) -> str:
    return (
        templates()
        .get_template("report.html.j2")
        .render(charts=charts, period=period, data_quality_mart=DATA_QUALITY_MART)
    )


def build_report(database: Path) -> tuple[str, list[Chart]]:
    if not database.exists():
        raise ReportError(f"{database} not found; run `make run` first to build the marts")
    with duckdb.connect(str(database), read_only=True) as con:
        missing = [mart for mart in REQUIRED_MARTS if not relation_exists(con, mart)]
        if missing:
            raise ReportError(
                f"{database} has no {', '.join(missing)}; run `make run` to build the marts"
            )
        first, last = con.execute(
            "select min(month_start_date), max(month_start_date) from fct_country_monthly"
        ).fetchone()
        if first is None:
            raise ReportError("fct_country_monthly is empty; generate data with `make run`")
        charts = [
            success_rate_by_country(con),
            volume_by_sector(con),
            per_capita_against_growth(con),
            rejections_by_reason(con),
        ]
    return render_page(charts, f"{first:%B %Y} to {last:%B %Y}"), charts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=settings.duckdb_path(),
        help="DuckDB file with the marts (default: $DBT_DUCKDB_PATH or %(default)s)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(DEFAULT_OUTPUT),
        help="HTML file to write (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        page, charts = build_report(args.database)
    except ReportError as error:
        print(f"build_report.py: error: {error}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(page, encoding="utf-8")
    print(f"Wrote {args.output} ({len(page.encode()) / 1e6:.1f} MB)")
    for chart in charts:
        status = f"{chart.points:,} points" if chart.svg else f"no chart: {chart.note}"
        print(f"  {chart.title}: {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
