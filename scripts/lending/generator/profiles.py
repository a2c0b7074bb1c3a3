"""Reference facts and economic profiles the generator draws from.

Codes here must match the dbt seeds (`seeds/*.csv`); a pytest test keeps the two in step.
The macro anchors, rounded public figures the monthly indicators are interpolated between,
are data: macro_anchors.toml, beside this file.

The bank is modelled on a mid-sized regional development bank: at the default 50,000
transactions it disburses about USD 2-3 billion a year in ten countries (the order of
CABEI's annual approvals, a tenth of the largest multilateral lenders in the region),
through some 300 loans a year of USD 5-15 million each, sovereign investment loans and
credit lines on-lent by national development banks, on top of a book of loans made in the
25 years before the extract starts (loans.py). `--transactions` scales the number of
loans, and so the book, proportionally.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lending.generator.periods import day_position

Anchors = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Country:
    code: str
    currency_code: str
    # Share of the bank's transactions booked in this country.
    lending_weight: float
    # Added to the log-odds of a settled transaction failing (0 = bank average).
    failure_log_odds: float
    # ISO 4217 minor units: CLP and PYG have none, so their amounts are whole numbers.
    currency_decimals: int
    # Sector mix of new loans, in SECTORS order.
    sector_weights: tuple[float, ...]


@dataclass(frozen=True)
class Sector:
    code: str
    # Median principal of a loan in USD and the log-normal spread around it.
    median_principal_usd: float
    principal_sigma: float
    # Loan terms: years of grace (interest only), and the final maturity in years,
    # grace included; principal is repaid in equal semi-annual instalments in between.
    grace_years: float
    maturity_years: int
    # Lending spread over the six-month USD reference rate, percent a year: sovereign
    # guaranteed sectors near 1%, loans on-lent through intermediaries more.
    spread_pct: float
    failure_log_odds: float


@dataclass(frozen=True)
class TransactionType:
    code: str
    failure_log_odds: float
    # Of failed-or-reversed transactions, the share that are reversals.
    reversal_share: float


# Terms modelled on multilateral development banks' loans: sovereign investment loans of
# 15-25 years with 4-5 years of grace, credit lines to intermediaries of 5-8 years.
SECTORS: tuple[Sector, ...] = (
    Sector("AGR", 3_600_000, 0.8, 2.0, 8, 1.8, 0.25),
    Sector("DIG", 4_000_000, 0.8, 3.0, 12, 1.3, -0.10),
    Sector("EDU", 4_000_000, 0.7, 5.0, 20, 1.0, -0.05),
    Sector("ENE", 9_600_000, 0.9, 4.0, 18, 1.2, -0.25),
    Sector("ENV", 4_400_000, 0.8, 4.0, 15, 1.1, 0.00),
    Sector("FIN", 8_000_000, 0.9, 1.5, 6, 2.2, 0.30),
    Sector("HEA", 4_400_000, 0.7, 4.0, 15, 1.0, -0.10),
    Sector("TRN", 11_200_000, 0.9, 5.0, 25, 1.1, -0.20),
    Sector("URB", 5_200_000, 0.8, 4.0, 20, 1.2, 0.10),
    Sector("WAS", 5_200_000, 0.8, 5.0, 20, 1.0, 0.00),
)

TRANSACTION_TYPES: tuple[TransactionType, ...] = (
    TransactionType("disbursement", -0.60, 0.15),
    TransactionType("repayment", 0.35, 0.35),
    TransactionType("interest_payment", 0.20, 0.30),
    TransactionType("fee", -0.20, 0.40),
    # A book entry, never drawn: loans.py says when a loan is written off.
    TransactionType("write_off", 0.0, 0.0),
)

# completed counts as a success; failed and reversed are settled failures; pending is
# not settled yet. The dbt seed `transaction_statuses` carries the same flags.
STATUSES: tuple[str, ...] = ("completed", "failed", "reversed", "pending")

# Tables of figures keep one row per line; the formatter would split them up.
# fmt: off
#                 AGR   DIG   EDU   ENE   ENV   FIN   HEA   TRN   URB   WAS
COUNTRIES: tuple[Country, ...] = (
    Country("ARG", "ARS", 0.10, 0.55, 2, (14, 6, 8, 12, 6, 16, 8, 14, 8, 8)),
    Country("BOL", "BOB", 0.05, 0.35, 2, (14, 4, 10, 10, 6, 14, 10, 16, 6, 10)),
    Country("BRA", "BRL", 0.22, 0.00, 2, (12, 10, 6, 14, 8, 18, 6, 14, 6, 6)),
    Country("CHL", "CLP", 0.08, -0.45, 0, (6, 10, 8, 16, 12, 12, 8, 14, 8, 6)),
    Country("COL", "COP", 0.12, 0.05, 2, (12, 8, 8, 10, 8, 16, 8, 14, 8, 8)),
    Country("ECU", "USD", 0.07, 0.15, 2, (14, 6, 10, 12, 6, 12, 10, 14, 6, 10)),
    Country("MEX", "MXN", 0.18, -0.15, 2, (8, 10, 8, 14, 8, 18, 8, 14, 6, 6)),
    Country("PRY", "PYG", 0.05, 0.25, 0, (20, 4, 8, 14, 6, 14, 8, 12, 6, 8)),
    Country("PER", "PEN", 0.09, -0.10, 2, (12, 6, 8, 12, 8, 14, 8, 16, 6, 10)),
    Country("URY", "UYU", 0.04, -0.50, 2, (12, 12, 8, 12, 12, 12, 8, 10, 6, 8)),
)
# fmt: on


@dataclass(frozen=True)
class Indicator:
    code: str
    unit: str
    # Noise around the interpolated anchors: absolute (in the unit) plus relative to the
    # level, so Argentina's triple-digit inflation wobbles more than Chile's.
    absolute_noise: float
    relative_noise: float
    # Published precision; policy rates move in quarter points.
    rounding_step: float
    # The indicator's own random stream, fixed when it is added: adding, removing or
    # reordering indicators leaves every other series as it was. A new one takes a number
    # no other has (checked below).
    stream: int


INDICATORS: tuple[Indicator, ...] = (
    Indicator("gdp_growth", "percent_yoy", 0.6, 0.0, 0.1, stream=0),
    Indicator("inflation", "percent_yoy", 0.1, 0.02, 0.01, stream=1),
    Indicator("exchange_rate", "local_per_usd", 0.0, 0.006, 0.0001, stream=2),
    Indicator("policy_rate", "percent", 0.0, 0.0, 0.25, stream=3),
    Indicator("unemployment", "percent", 0.15, 0.0, 0.1, stream=4),
    Indicator("trade_balance", "usd_millions", 0.0, 0.35, 0.1, stream=5),
    Indicator("fdi_inflows", "usd_millions", 0.0, 0.30, 0.1, stream=6),
    Indicator("public_debt", "percent_of_gdp", 0.3, 0.0, 0.1, stream=7),
)


def check_indicators(indicators: tuple[Indicator, ...]) -> tuple[Indicator, ...]:
    """`indicators`, once each has a code and a random stream of its own."""
    for attribute in ("code", "stream"):
        values = [getattr(indicator, attribute) for indicator in indicators]
        repeated = sorted({value for value in values if values.count(value) > 1}, key=str)
        if repeated:
            raise ValueError(
                f"INDICATORS (scripts/lending/generator/profiles.py): the {attribute} "
                f"{', '.join(map(str, repeated))} is given to more than one indicator; give "
                f"a new indicator a {attribute} no other has"
                + (f" (the next free one is {max(values) + 1})" if attribute == "stream" else "")
            )
    return indicators


check_indicators(INDICATORS)

# Day-to-day wobble of each currency around its path: relative standard deviation of the
# daily rate. Bolivia's peg and dollarised Ecuador have none; Argentina's official rate is
# administered (a crawl with step devaluations); the floating currencies move most.
DAILY_EXCHANGE_RATE_NOISE: dict[str, float] = {
    "ARG": 0.002, "BOL": 0.0, "BRA": 0.012, "CHL": 0.010, "COL": 0.010,
    "ECU": 0.0, "MEX": 0.010, "PRY": 0.004, "PER": 0.005, "URY": 0.008,
}  # fmt: skip

# The six-month USD reference rate loans pay their spread over, percent a year, monthly
# averages: LIBOR until mid-2023, then term SOFR. Each period's rate is set at its start.
# fmt: off
USD_REFERENCE_RATE: Anchors = (
    ("2018-12", 2.88), ("2019-03", 2.68), ("2019-06", 2.27), ("2019-09", 2.06),
    ("2019-12", 1.90), ("2020-02", 1.70), ("2020-03", 1.10), ("2020-04", 1.05),
    ("2020-06", 0.40), ("2020-09", 0.27), ("2020-12", 0.26), ("2021-06", 0.16),
    ("2021-12", 0.30), ("2022-03", 1.20), ("2022-06", 2.70), ("2022-09", 3.90),
    ("2022-12", 5.10), ("2023-03", 5.00), ("2023-06", 5.35), ("2023-09", 5.45),
    ("2023-12", 5.30), ("2024-03", 5.20), ("2024-06", 5.25), ("2024-08", 4.90),
)
# fmt: on


MACRO_ANCHORS_FILE = Path(__file__).with_name("macro_anchors.toml")
YEAR_END_MONTHS = ("2018-12", "2019-12", "2020-12", "2021-12", "2022-12", "2023-12", "2024-08")
COVID_PATH_MONTHS = (
    "2018-12", "2019-12", "2020-05", "2020-12", "2021-05", "2021-12", "2022-12", "2023-12",
    "2024-08",
)  # fmt: skip


def _anchors(where: str, written: object) -> Anchors:
    """One indicator's anchors from macro_anchors.toml, in any of the forms it describes."""
    if isinstance(written, list) and all(_is_anchor(pair) for pair in written):
        return tuple((month, value) for month, value in written)
    one_form = isinstance(written, dict) and len(written) == 1
    form, values = next(iter(written.items())) if one_form else ("", None)
    months = {"year_ends": YEAR_END_MONTHS, "covid_path": COVID_PATH_MONTHS}.get(form, ())
    if not months or not isinstance(values, list) or len(values) != len(months):
        raise ValueError(
            f"{where}: expected [[month, value], ...], year_ends = [{len(YEAR_END_MONTHS)} "
            f"values] or covid_path = [{len(COVID_PATH_MONTHS)} values], got {written!r}"
        )
    anchors = tuple(zip(months, values, strict=True))
    if form == "covid_path":
        # December 2019's growth holds until the pandemic starts, in March 2020.
        return (*anchors[:2], ("2020-02", anchors[1][1]), *anchors[2:])
    return anchors


def _is_anchor(pair: object) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and isinstance(pair[1], int | float)
    )


def _in_date_order(where: str, anchors: Anchors) -> Anchors:
    """`anchors`, once their dates are known to be real and strictly in order: interpolating
    between unordered anchors would give wrong figures, not an error."""
    try:
        positions = [day_position(date) for date, _ in anchors]
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    if not positions:
        raise ValueError(f"{where}: no anchors")
    if any(a >= b for a, b in itertools.pairwise(positions)):
        raise ValueError(f"{where}: the anchors' dates must be strictly in order, got {anchors!r}")
    return anchors


def load_macro_anchors(path: Path = MACRO_ANCHORS_FILE) -> dict[str, dict[str, Anchors]]:
    with path.open("rb") as file:
        countries = tomllib.load(file)
    anchors: dict[str, dict[str, Anchors]] = {}
    for country, series in countries.items():
        anchors[country] = {}
        for code, written in series.items():
            where = f"{path}: {country}.{code}"
            anchors[country][code] = _in_date_order(where, _anchors(where, written))
    return _every_country_and_indicator(path, anchors)


def _every_country_and_indicator(
    path: Path, anchors: dict[str, dict[str, Anchors]]
) -> dict[str, dict[str, Anchors]]:
    """`anchors`, once they give every country of COUNTRIES a path for every indicator of
    INDICATORS, and nothing else: a series without anchors has no figures to follow."""
    countries = [country.code for country in COUNTRIES]
    codes = [indicator.code for indicator in INDICATORS]
    problems = [
        f"[{code}] is not a country of COUNTRIES" for code in anchors if code not in countries
    ]
    for country in countries:
        listed = anchors.get(country, {})
        missing = [code for code in codes if code not in listed]
        unknown = [code for code in listed if code not in codes]
        if missing:
            problems.append(f"[{country}] has no anchors for {', '.join(missing)}")
        if unknown:
            problems.append(
                f"[{country}] lists {', '.join(unknown)}, not an indicator of INDICATORS"
            )
    if problems:
        raise ValueError(
            f"{path}: " + "; ".join(problems) + ". Every country lists every indicator, in"
            " any order (add the anchors, or the indicator to INDICATORS in profiles.py)."
        )
    return anchors


MACRO_ANCHORS = load_macro_anchors()

# Demographics per year 2019..2024, as
# (population 2019 in millions, annual growth %, urban %, literacy %,
#  life expectancy 2019, COVID loss of life expectancy at the 2021 trough,
#  poverty rate per year 2019..2024, median age 2019)
# fmt: off
DEMOGRAPHIC_PROFILES: dict[str, tuple[float, float, float, float, float, float,
                                      tuple[float, ...], float]] = {
    "ARG": (44.9, 0.9, 92.0, 99.0, 76.8, 2.9, (35.5, 42.0, 37.3, 39.2, 41.7, 52.9), 31.5),
    "BOL": (11.5, 1.4, 70.1, 93.2, 71.5, 7.3, (37.2, 39.0, 36.4, 36.4, 35.0, 34.2), 25.0),
    "BRA": (211.0, 0.6, 87.1, 93.5, 75.9, 3.4, (25.9, 24.1, 29.4, 31.6, 27.4, 26.1), 33.5),
    "CHL": (19.0, 0.9, 87.7, 96.4, 80.3, 1.6, (10.8, 10.8, 10.8, 6.5, 6.5, 6.5), 35.5),
    "COL": (50.2, 1.2, 81.1, 95.6, 77.3, 4.5, (35.7, 42.5, 39.3, 36.6, 33.0, 31.8), 31.0),
    "ECU": (17.4, 1.2, 64.2, 94.5, 77.0, 3.6, (25.0, 33.0, 27.7, 25.2, 26.0, 26.0), 28.0),
    "MEX": (126.0, 0.8, 80.7, 95.4, 75.0, 4.3, (41.9, 43.9, 40.5, 36.3, 35.0, 34.1), 29.0),
    "PRY": (7.0, 1.3, 62.2, 94.5, 74.3, 4.7, (23.5, 26.9, 26.9, 24.7, 22.7, 21.0), 26.0),
    "PER": (32.5, 1.1, 78.3, 94.5, 76.7, 6.1, (20.2, 30.1, 25.9, 27.5, 29.0, 27.6), 30.0),
    "URY": (3.46, 0.1, 95.5, 98.8, 77.9, 2.0, (8.8, 11.6, 10.6, 9.9, 10.1, 9.5), 35.5),
}
# fmt: on
