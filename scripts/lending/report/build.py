"""Write the lending charts report: one self-contained HTML file drawn from the marts.

Four charts, each with axis labels and units, a caption that says what is plotted and
how it is computed, and the plotted numbers in a table underneath (each column at one
precision): success rate over time by country, USD volume by sector and year, lending
per capita against GDP growth by country, and rejected rows by reason (from the
data-quality mart, once it is built). Under the title, what the data is as of; partial
quarters and years are marked as such wherever they are plotted.
The charts are inline SVG with text drawn as outlines, so the file opens anywhere,
offline, and looks the same everywhere.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from lending import cli, settings
from lending.as_of import AsOf, read_as_of
from lending.definitions import success_rate_sql

DEFAULT_OUTPUT = "reports/lending_report.html"
DATA_QUALITY_MART = "fct_rejection_reasons_monthly"
REQUIRED_MARTS = ("fct_country_monthly", "fct_sector_monthly", "dim_months")
GROUP_COLOUR_NAMES = (("Infrastructure", "blue"), ("Social", "orange"), ("Productive", "green"))
# Partial periods: a colour no sector group uses.
PARTIAL_COLOUR = "#8e44ad"
# A quarter's success rate over fewer settled transactions than this moves a point or more
# with a single payment: the chart marks it.
SMALL_SAMPLE = 50
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
        # Gridlines behind the bars and lines, not over them.
        "axes.axisbelow": True,
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
    # How each column's values are written (a format spec, e.g. ",.2f"): one precision
    # per column. Years and labels are text.
    formats: tuple[str, ...] = ()
    rows: list[tuple[object, ...]] = field(default_factory=list)
    svg: str = ""
    note: str = ""

    @property
    def points(self) -> int:
        return len(self.rows) if self.svg else 0

    def cells(self) -> list[list[str | Markup]]:
        """The table under the chart, every value written in its column's format."""
        formats = self.formats or ("",) * len(self.columns)
        return [
            [cell(value, spec) for value, spec in zip(row, formats, strict=True)]
            for row in self.rows
        ]


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


def panel_grid(
    panels: int, ncols: int, row_height: float, margin: float, *, sharey: bool
) -> tuple[Figure, np.ndarray]:
    """A 12-inch-wide figure of small multiples sharing their x axis, `ncols` to a row,
    each row `row_height` inches tall plus `margin` for the titles; the grid's cells past
    the last panel are hidden."""
    nrows = -(-panels // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(12, row_height * nrows + margin),
        sharex=True,
        sharey=sharey,
        squeeze=False,
    )
    for ax in axes.flat[panels:]:
        ax.set_visible(False)
    return fig, axes


def usd_billions(value: float, _position: float | None = None) -> str:
    return f"{value:,.1f}"


def period_months(first: int, last: int) -> str:
    """'January-August' for months 1 and 8 of a year."""
    name = [date(2000, m, 1).strftime("%B") for m in (first, last)]
    return name[0] if first == last else f"{name[0]}-{name[1]}"


# --- success rate over time by country ------------------------------------------------


def success_rate_by_country(con: duckdb.DuckDBPyConnection) -> Chart:
    success_rate = success_rate_sql("sum(completed_count)", "sum(settled_count)")
    quarters = """
        select
            cast(date_trunc('quarter', month_start_date) as date) as quarter_start_date,
            {keys}
            sum(completed_count) as completed_count,
            sum(settled_count) as settled_count,
            {success_rate} as success_rate,
            bool_and(is_quarter_complete) as is_complete,
            min(month(month_start_date)) as first_month,
            max(month(month_start_date)) as last_month
        from fct_country_monthly
        group by all
    """
    rows = con.execute(
        f"""
        select country_name, * exclude (country_name)
        from ({quarters.format(keys="country_name,", success_rate=success_rate)})
        order by country_name, quarter_start_date
        """
    ).fetchall()
    overall = {
        quarter: rate
        for quarter, _, _, rate, *_ in con.execute(
            quarters.format(keys="", success_rate=success_rate)
        ).fetchall()
    }

    def quarter_label(quarter: date, complete: bool, first: int, last: int) -> str:
        label = f"{quarter.year} Q{(quarter.month - 1) // 3 + 1}"
        return label if complete else f"{label} (partial: {period_months(first, last)})"

    partial = sorted(
        {
            f"{quarter_label(q, True, f, t)}: {period_months(f, t)}"
            for _, q, *_, c, f, t in rows
            if not c
        }
    )
    chart = Chart(
        chart_id="success-rate",
        title="Success rate by country, quarterly",
        caption=(
            "Success rate = completed transactions / settled transactions (completed, "
            "failed or reversed) in the quarter; pending transactions are left out. "
            "Each panel is one country; the grey line is all ten countries together. "
            "A quarter with no settled transaction has no point; a cross marks one with "
            f"fewer than {SMALL_SAMPLE} settled transactions, whose rate a single payment "
            "moves by a point or more (the table gives every quarter's count)."
            + (
                f" Hollow points are partial quarters ({'; '.join(partial)}): a rate over "
                "fewer months, not a whole quarter."
                if partial
                else ""
            )
        ),
        columns=("Country", "Quarter", "Completed", "Settled", "Success rate"),
        formats=("", "", ",", ",", ".2%"),
        rows=[
            (country, quarter_label(q, complete, first, last), done, settled, rate)
            for country, q, done, settled, rate, complete, first, last in rows
        ],
    )
    plotted = [row for row in rows if row[4] is not None]
    if not plotted:
        chart.note = "No transaction has settled yet, so there is no success rate to plot."
        return chart

    countries = sorted({row[0] for row in plotted})
    fig, axes = panel_grid(len(countries), 5, 2.6, 0.8, sharey=True)
    overall_quarters = sorted(q for q, rate in overall.items() if rate is not None)
    lowest = min(row[4] for row in plotted)
    for ax, country in zip(axes.flat, countries, strict=False):
        series = [
            (q, rate, complete) for name, q, _, _, rate, complete, *_ in plotted if name == country
        ]
        small = [
            (q, rate) for name, q, _, n, rate, *_ in plotted if name == country and n < SMALL_SAMPLE
        ]
        ax.plot(
            overall_quarters,
            [overall[q] for q in overall_quarters],
            color="#bbbbbb",
            linewidth=1.2,
            label="All countries",
        )
        (line,) = ax.plot(
            [q for q, _, _ in series],
            [rate for _, rate, _ in series],
            color="#1f5f8b",
            linewidth=1.6,
            marker="o",
            markersize=2.5,
            label=country,
        )
        line.set_gid(f"data-success-rate-{country}")
        if small:
            ax.plot(
                [q for q, _ in small], [rate for _, rate in small], linestyle="none",
                marker="x", markersize=5, color="#1f5f8b",
                label=f"Fewer than {SMALL_SAMPLE} settled",
            )  # fmt: skip
        unfinished = [(q, rate) for q, rate, complete in series if not complete]
        if unfinished:
            ax.plot(
                [q for q, _ in unfinished],
                [rate for _, rate in unfinished],
                linestyle="none",
                marker="o",
                markersize=6,
                markerfacecolor="white",
                markeredgecolor=PARTIAL_COLOUR,
                label="Partial quarter",
            )
        ax.set_title(country, fontsize=10)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        # Above 100%, so that a quarter at exactly 100% is drawn whole, not clipped.
        ax.set_ylim(max(0.0, lowest - 0.05), 1.02)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("Success rate (%)")
    for ax in axes[-1, :]:
        ax.set_xlabel("Quarter")
    legend = {}
    for ax in axes.flat:
        handles, labels = ax.get_legend_handles_labels()
        legend.update(zip(labels, handles, strict=True))
    for country in countries:
        legend.pop(country, None)
    fig.legend(legend.values(), legend.keys(), loc="upper right", frameon=False, fontsize=9)
    fig.suptitle("Completed / settled transactions per quarter", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    chart.svg = to_svg(fig, chart.chart_id)
    return chart


# --- USD volume by sector, one panel per year ----------------------------------------------


def volume_by_sector(con: duckdb.DuckDBPyConnection) -> Chart:
    rows = con.execute(
        """
        select
            extract(year from month_start_date) as calendar_year,
            bool_and(is_year_complete) as is_complete,
            min(month(month_start_date)) as first_month,
            max(month(month_start_date)) as last_month,
            sector_name,
            sector_group,
            cast(sum(disbursed_usd) as double precision) / 1e9 as disbursed_usd_bn,
            cast(sum(repaid_usd) as double precision) / 1e9 as repaid_usd_bn,
            cast(sum(volume_usd - disbursed_usd - repaid_usd) as double precision) / 1e9
                as interest_and_fees_usd_bn,
            cast(sum(volume_usd) as double precision) / 1e9 as volume_usd_bn
        from fct_sector_monthly
        group by all
        order by calendar_year, volume_usd_bn desc, sector_name
        """
    ).fetchall()

    def year_label(year: int, complete: bool, first: int, last: int) -> str:
        return str(year) if complete else f"{year} (partial: {period_months(first, last)})"

    labelled = [(year_label(int(y), c, f, t), *rest) for y, c, f, t, *rest in rows]
    partial = sorted({label for label, *_ in labelled if "partial" in label})
    chart = Chart(
        chart_id="sector-volume",
        title="USD volume by sector, per year",
        caption=(
            "Completed transactions by calendar year, all countries, in billions of US "
            "dollars, converted at each country's average exchange rate of the "
            "transaction's month. Volume = disbursements + principal repaid + interest and "
            "fees; failed, reversed and pending transactions move no money. Sectors are "
            "in the order of their volume over the whole period, in every panel."
            + (f" {', '.join(partial)}: fewer months than a year." if partial else "")
        ),
        columns=(
            "Year",
            "Sector",
            "Group",
            "Disbursed (USD bn)",
            "Repaid (USD bn)",
            "Interest and fees (USD bn)",
            "Volume (USD bn)",
        ),
        formats=("", "", "", ",.2f", ",.2f", ",.2f", ",.2f"),
        rows=labelled,
    )
    if not any(row[6] for row in labelled):
        chart.note = "No completed transaction yet, so there is no volume to plot."
        return chart

    years = list(dict.fromkeys(label for label, *_ in labelled))
    totals: dict[str, float] = {}
    for _, sector, _, _, _, _, volume in labelled:
        totals[sector] = totals.get(sector, 0.0) + volume
    sectors = sorted(totals, key=lambda name: (totals[name], name))  # largest at the top
    groups = {sector: group for _, sector, group, *_ in labelled}
    fig, axes = panel_grid(len(years), 3, 0.32 * len(sectors) + 1.0, 0.6, sharey=True)
    parts = (
        ("Disbursed", 3, "#1f5f8b"),
        ("Principal repaid", 4, "#7fb3d5"),
        ("Interest and fees", 5, "#f0b27a"),
    )
    widest = 0.0
    for ax, year in zip(axes.flat, years, strict=False):
        values = {row[1]: row for row in labelled if row[0] == year}
        left = [0.0] * len(sectors)
        for label, index, colour in parts:
            widths = [values[s][index] if s in values else 0.0 for s in sectors]
            bars = ax.barh(sectors, widths, left=left, color=colour, label=label)
            for bar, sector in zip(bars, sectors, strict=True):
                bar.set_gid(f"data-sector-volume-{year.split()[0]}-{label}-{sector}")
            left = [a + b for a, b in zip(left, widths, strict=True)]
        widest = max(widest, *left)
        ax.set_title(year, fontsize=10, color=PARTIAL_COLOUR if "partial" in year else "#222222")
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(FuncFormatter(usd_billions))
    for ax in axes[:, 0]:
        for tick in ax.get_yticklabels():
            tick.set_color(SECTOR_GROUP_COLOURS.get(groups.get(tick.get_text(), ""), "#333333"))
    for ax in axes[-1, :]:
        ax.set_xlabel("Volume (USD billions)")
    axes[0, 0].set_xlim(0, widest * 1.05)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.965), ncols=3,
        frameon=False, fontsize=9,
    )  # fmt: skip
    groups_named = ", ".join(
        f"{group} ({colour_name})" for group, colour_name in GROUP_COLOUR_NAMES
    )
    fig.suptitle(
        f"Completed volume by sector and year; sector names by group: {groups_named}",
        fontsize=11,
        y=0.995,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    chart.svg = to_svg(fig, chart.chart_id)
    return chart


# --- lending per capita against GDP growth -----------------------------------------------


def per_capita_against_growth(con: duckdb.DuckDBPyConnection) -> Chart:
    # Whole years; and for a partial latest year, its months so far beside the same months
    # of the year before, the comparison that is fair to it.
    rows = con.execute(
        """
        with months as (

            select
                country_name,
                extract(year from month_start_date) as calendar_year,
                extract(month from month_start_date) as calendar_month,
                is_year_complete,
                disbursed_usd,
                population,
                gdp_growth_pct
            from fct_country_monthly

        ),

        partial_year as (

            select max(calendar_year) as calendar_year, max(calendar_month) as last_month
            from months
            where not is_year_complete
            group by calendar_year
            order by calendar_year desc
            limit 1

        ),

        periods as (

            select
                country_name,
                calendar_year,
                0 as last_month,
                sum(disbursed_usd) / max(population) as lending_per_capita_usd,
                avg(gdp_growth_pct) as gdp_growth_pct
            from months
            group by all
            having bool_and(is_year_complete)

            union all

            select
                months.country_name,
                months.calendar_year,
                partial_year.last_month,
                sum(months.disbursed_usd) / max(months.population),
                avg(months.gdp_growth_pct)
            from months
            inner join partial_year
                on months.calendar_year between partial_year.calendar_year - 1
                    and partial_year.calendar_year
                and months.calendar_month <= partial_year.last_month
            group by all

        )

        select country_name, calendar_year, last_month, lending_per_capita_usd, gdp_growth_pct
        from periods
        where gdp_growth_pct is not null and lending_per_capita_usd is not null
        order by country_name, last_month, calendar_year
        """
    ).fetchall()
    to_date = [(int(year), last) for _, year, last, *_ in rows if last]
    to_date_months = period_months(1, to_date[0][1]) if to_date else ""

    def period(year: int, last_month: int) -> str:
        return f"{year} {period_months(1, last_month)}" if last_month else str(year)

    chart = Chart(
        chart_id="per-capita-growth",
        title="Lending per capita against GDP growth, by country and year",
        caption=(
            "One panel per country, one point per complete calendar year, joined in time "
            "order. Lending per capita = USD disbursed in the year / the country's "
            "population that year (US dollars per resident). Each panel has its own "
            "vertical scale, from zero to its largest value: compare a country's years "
            "with each other, and countries by the table. GDP growth = the year's average "
            "of monthly real activity growth on the same month a year earlier (percent; the "
            "same scale in every panel)."
            + (
                f" The latest year is partial: its {to_date_months} (the filled purple point) "
                "is compared with the same months of the year before (the hollow one), joined "
                "by the dashed line; those two are not comparable with the whole years."
                if to_date
                else ""
            )
            + " Years whose population or GDP figures were rejected by the data-quality "
            "checks are left out."
        ),
        columns=("Country", "Period", "Lending per capita (USD)", "GDP growth (%)"),
        formats=("", "", ",.2f", ".1f"),
        rows=[(c, period(int(y), last), float(lpc), float(g)) for c, y, last, lpc, g in rows],
    )
    if not rows:
        chart.note = "No complete calendar year with GDP data yet, so there is nothing to plot."
        return chart

    latest = max((year for year, _ in to_date), default=None)
    countries = sorted({row[0] for row in rows})
    fig, axes = panel_grid(len(countries), 5, 2.8, 0.8, sharey=False)
    for ax, country in zip(axes.flat, countries, strict=False):
        ours = [(float(g), float(lpc), int(y), last) for c, y, last, lpc, g in rows if c == country]
        points = [(g, lpc, year) for g, lpc, year, last in ours if not last]
        ax.plot([p[0] for p in points], [p[1] for p in points], color="#bbbbbb", linewidth=0.8)
        collection = ax.scatter(
            [p[0] for p in points], [p[1] for p in points], s=22, color="#1f5f8b", zorder=3
        )
        collection.set_gid(f"data-per-capita-growth-{country}")
        for growth, per_capita, year in points:
            ax.annotate(
                str(year), (growth, per_capita), xytext=(3, 3), textcoords="offset points",
                fontsize=7, color="#555555",
            )  # fmt: skip
        so_far = sorted((year, g, lpc) for g, lpc, year, last in ours if last)
        if so_far:
            ax.plot([p[1] for p in so_far], [p[2] for p in so_far], color=PARTIAL_COLOUR,
                    linewidth=0.8, linestyle="--")  # fmt: skip
            for year, growth, per_capita in so_far:
                current = year == latest
                ax.scatter(
                    [growth], [per_capita], s=26, zorder=4, edgecolors=PARTIAL_COLOUR,
                    facecolors=PARTIAL_COLOUR if current else "white",
                )  # fmt: skip
        ax.axvline(0, color="#888888", linewidth=0.8)
        ax.set_title(country, fontsize=10)
        ax.set_ylim(bottom=0, top=max(p[1] for p in ours) * 1.2)
    fig.supylabel("Lending per capita (USD per resident)", fontsize=10)
    fig.supxlabel("GDP growth, average of the year (% on a year earlier)", fontsize=10)
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
        formats=("", "", ","),
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


def cell(value: object, spec: str = "") -> str | Markup:
    """A table cell: the value in its column's format (e.g. ",.2f"), a dash if missing."""
    if value is None:
        return Markup("&ndash;")
    return format(value, spec) if spec else str(value)


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


def render_page(charts: Sequence[Chart], period: str, as_of: AsOf | None = None) -> str:
    return (
        templates()
        .get_template("report.html.j2")
        .render(
            charts=charts,
            period=period,
            as_of=as_of.sentence() if as_of else "",
            data_quality_mart=DATA_QUALITY_MART,
        )
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
        as_of = read_as_of(con)
        charts = [
            success_rate_by_country(con),
            volume_by_sector(con),
            per_capita_against_growth(con),
            rejections_by_reason(con),
        ]
    return render_page(charts, f"{first:%B %Y} to {last:%B %Y}", as_of), charts


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(
        "lending-report",
        __doc__,
        parents=[settings.path_option("--database", "DuckDB file with the marts")],
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
        return cli.fail(parser.prog, error)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(page, encoding="utf-8")
    print(f"Wrote {args.output} ({len(page.encode()) / 1e6:.1f} MB)")
    for chart in charts:
        status = f"{chart.points:,} points" if chart.svg else f"no chart: {chart.note}"
        print(f"  {chart.title}: {status}")
    return 0
