"""Reference facts and economic profiles the generator draws from.

Codes here must match the dbt seeds (`seeds/*.csv`); a pytest test keeps the two in step.
Macro anchors are rounded public figures (central banks, INDEC, IBGE, IMF WEO) placed at
the month they describe; the generator interpolates between them and adds seeded noise, so
the shape is real and the exact values differ by seed.

The bank is modelled on a mid-sized regional development bank: at the default 50,000
transactions it disburses about USD 2-3 billion a year in ten countries (the order of
CABEI's annual approvals, a tenth of the largest multilateral lenders in the region),
through some 1,200 loans a year of a few million dollars each, sovereign investment loans
and credit lines on-lent by national development banks. Its book starts empty in January
2019, when the extract starts, so in the early years most loans are still in their grace
period. `--transactions` scales the number of loans, and so the book, proportionally.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    Sector("AGR", 900_000, 0.8, 2.0, 8, 1.8, 0.25),
    Sector("DIG", 1_000_000, 0.8, 3.0, 12, 1.3, -0.10),
    Sector("EDU", 1_000_000, 0.7, 5.0, 20, 1.0, -0.05),
    Sector("ENE", 2_400_000, 0.9, 4.0, 18, 1.2, -0.25),
    Sector("ENV", 1_100_000, 0.8, 4.0, 15, 1.1, 0.00),
    Sector("FIN", 2_000_000, 0.9, 1.5, 6, 2.2, 0.30),
    Sector("HEA", 1_100_000, 0.7, 4.0, 15, 1.0, -0.10),
    Sector("TRN", 2_800_000, 0.9, 5.0, 25, 1.1, -0.20),
    Sector("URB", 1_300_000, 0.8, 4.0, 20, 1.2, 0.10),
    Sector("WAS", 1_300_000, 0.8, 5.0, 20, 1.0, 0.00),
)

TRANSACTION_TYPES: tuple[TransactionType, ...] = (
    TransactionType("disbursement", -0.60, 0.15),
    TransactionType("repayment", 0.35, 0.35),
    TransactionType("interest_payment", 0.20, 0.30),
    TransactionType("fee", -0.20, 0.40),
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


INDICATORS: tuple[Indicator, ...] = (
    Indicator("gdp_growth", "percent_yoy", 0.6, 0.0, 0.1),
    Indicator("inflation", "percent_yoy", 0.1, 0.02, 0.01),
    Indicator("exchange_rate", "local_per_usd", 0.0, 0.006, 0.0001),
    Indicator("policy_rate", "percent", 0.0, 0.0, 0.25),
    Indicator("unemployment", "percent", 0.15, 0.0, 0.1),
    Indicator("trade_balance", "usd_millions", 0.0, 0.35, 0.1),
    Indicator("fdi_inflows", "usd_millions", 0.0, 0.30, 0.1),
    Indicator("public_debt", "percent_of_gdp", 0.3, 0.0, 0.1),
)

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


# fmt: off
def _gdp(y18: float, y19: float, trough: float, y20: float, peak: float, y21: float,
         y22: float, y23: float, y24: float) -> Anchors:
    """Monthly activity growth: the 2020 collapse and the 2021 base-effect rebound."""
    return (
        ("2018-12", y18), ("2019-12", y19), ("2020-02", y19), ("2020-05", trough),
        ("2020-12", y20), ("2021-05", peak), ("2021-12", y21), ("2022-12", y22),
        ("2023-12", y23), ("2024-08", y24),
    )
# fmt: on


def _yearly(*values: float) -> Anchors:
    """December 2018 to December 2023 year-end values, then August 2024."""
    months = ("2018-12", "2019-12", "2020-12", "2021-12", "2022-12", "2023-12", "2024-08")
    return tuple(zip(months, values, strict=True))


# fmt: off
MACRO_ANCHORS: dict[str, dict[str, Anchors]] = {
    "ARG": {
        "gdp_growth": _gdp(-6.9, -1.8, -25.0, -2.5, 32.0, 9.0, 1.0, -4.5, -3.5),
        "inflation": (
            ("2018-12", 47.6), ("2019-12", 53.8), ("2020-12", 36.1), ("2021-12", 50.9),
            ("2022-12", 94.8), ("2023-06", 115.6), ("2023-11", 160.9), ("2023-12", 211.4),
            ("2024-04", 289.4), ("2024-08", 236.7),
        ),
        # Exchange rates follow a daily path: a month anchor is its mid-month level, a
        # dated anchor that day's, so two consecutive days make a step devaluation
        # (August 2019 after the primaries, 14 August 2023, 13 December 2023).
        "exchange_rate": (
            ("2018-12", 38.0), ("2019-07", 43.0), ("2019-08-09", 46.0),
            ("2019-08-13", 57.0), ("2019-12", 60.0), ("2020-12", 83.0), ("2021-12", 102.0),
            ("2022-12", 172.0), ("2023-07", 265.0), ("2023-08-11", 287.0),
            ("2023-08-14", 350.0), ("2023-11-14", 350.0), ("2023-12-12", 366.5),
            ("2023-12-13", 800.0), ("2024-08", 940.0),
        ),
        "policy_rate": (
            ("2018-12", 59.25), ("2019-09", 78.0), ("2019-12", 55.0), ("2020-03", 38.0),
            ("2021-12", 38.0), ("2022-09", 75.0), ("2023-08", 118.0), ("2023-11", 133.0),
            ("2023-12", 100.0), ("2024-05", 40.0), ("2024-08", 40.0),
        ),
        "unemployment": _yearly(9.1, 8.9, 11.0, 7.0, 6.3, 5.7, 7.6),
        "trade_balance": _yearly(-300, 1330, 1050, 1230, 570, -580, 1960),
        "fdi_inflows": _yearly(960, 550, 350, 570, 1280, 1950, 1000),
        "public_debt": _yearly(85.2, 88.7, 102.8, 80.6, 84.5, 155.4, 85.0),
    },
    "BOL": {
        "gdp_growth": _gdp(4.2, 2.2, -22.0, -6.0, 18.0, 5.0, 3.5, 3.0, 1.5),
        "inflation": _yearly(1.5, 1.5, 0.7, 0.9, 3.1, 2.1, 4.6),
        "exchange_rate": _yearly(6.96, 6.96, 6.96, 6.96, 6.96, 6.96, 6.96),
        "policy_rate": _yearly(2.5, 2.5, 1.0, 1.5, 3.0, 3.5, 4.0),
        "unemployment": _yearly(3.8, 4.0, 8.4, 5.2, 4.3, 3.9, 4.0),
        "trade_balance": _yearly(-80, -70, 45, 120, 90, -60, -40),
        "fdi_inflows": _yearly(25, 15, -85, 50, 20, 10, 12),
        "public_debt": _yearly(53.9, 59.3, 78.0, 81.4, 80.1, 85.0, 90.0),
    },
    "BRA": {
        "gdp_growth": _gdp(1.8, 1.2, -11.0, -1.0, 14.0, 1.6, 2.7, 2.2, 3.0),
        "inflation": _yearly(3.75, 4.31, 4.52, 10.06, 5.79, 4.62, 4.24),
        "exchange_rate": (
            ("2018-12", 3.88), ("2019-12", 4.11), ("2020-05", 5.64), ("2020-12", 5.15),
            ("2021-12", 5.65), ("2022-12", 5.25), ("2023-12", 4.90), ("2024-08", 5.55),
        ),
        "policy_rate": (
            ("2018-12", 6.5), ("2019-07", 6.5), ("2019-12", 4.5), ("2020-08", 2.0),
            ("2021-03", 2.0), ("2021-12", 9.25), ("2022-08", 13.75), ("2023-07", 13.75),
            ("2023-12", 11.75), ("2024-05", 10.5), ("2024-08", 10.5),
        ),
        "unemployment": _yearly(12.0, 11.1, 14.2, 11.1, 7.9, 7.4, 6.6),
        "trade_balance": _yearly(4100, 3200, 4200, 5100, 5200, 8200, 6500),
        "fdi_inflows": _yearly(6000, 5600, 3200, 3900, 6100, 5400, 5800),
        "public_debt": _yearly(85.6, 87.1, 96.0, 88.9, 85.9, 84.7, 87.0),
    },
    "CHL": {
        "gdp_growth": _gdp(2.9, -3.0, -14.0, 0.0, 22.0, 10.0, -2.3, 0.2, 2.3),
        "inflation": _yearly(2.6, 3.0, 3.0, 7.2, 12.8, 3.9, 4.7),
        "exchange_rate": (
            ("2018-12", 680.0), ("2019-12", 760.0), ("2020-03", 840.0), ("2020-12", 735.0),
            ("2021-12", 850.0), ("2022-07", 960.0), ("2022-12", 875.0), ("2023-12", 880.0),
            ("2024-08", 935.0),
        ),
        "policy_rate": (
            ("2018-12", 2.75), ("2019-12", 1.75), ("2020-03", 0.5), ("2021-06", 0.5),
            ("2021-12", 4.0), ("2022-10", 11.25), ("2023-06", 11.25), ("2023-12", 8.25),
            ("2024-08", 5.75),
        ),
        "unemployment": _yearly(6.7, 7.0, 10.3, 7.2, 7.9, 8.5, 8.9),
        "trade_balance": _yearly(330, 320, 1550, 850, 300, 1150, 1800),
        "fdi_inflows": _yearly(650, 1050, 950, 1350, 1600, 1800, 1700),
        "public_debt": _yearly(25.6, 28.3, 32.4, 36.4, 37.9, 39.4, 40.5),
    },
    "COL": {
        "gdp_growth": _gdp(2.8, 3.3, -16.0, -3.5, 18.0, 10.0, 2.9, 0.3, 1.8),
        "inflation": _yearly(3.18, 3.80, 1.61, 5.62, 13.12, 9.28, 6.12),
        "exchange_rate": (
            ("2018-12", 3210.0), ("2019-12", 3370.0), ("2020-03", 4000.0),
            ("2020-12", 3470.0), ("2021-12", 3990.0), ("2022-11", 4950.0),
            ("2023-12", 3950.0), ("2024-08", 4030.0),
        ),
        "policy_rate": (
            ("2018-12", 4.25), ("2020-02", 4.25), ("2020-09", 1.75), ("2021-08", 1.75),
            ("2021-12", 3.0), ("2022-12", 12.0), ("2023-04", 13.25), ("2023-11", 13.25),
            ("2023-12", 13.0), ("2024-08", 10.75),
        ),
        "unemployment": _yearly(9.7, 10.5, 13.4, 11.0, 10.3, 10.0, 9.7),
        "trade_balance": _yearly(-700, -900, -750, -1150, -1000, -600, -700),
        "fdi_inflows": _yearly(950, 1200, 630, 790, 1430, 1420, 1150),
        "public_debt": _yearly(53.6, 52.3, 64.8, 63.8, 60.8, 55.3, 56.0),
    },
    "ECU": {
        "gdp_growth": _gdp(1.3, 0.0, -13.0, -6.0, 12.0, 3.5, 2.9, 1.8, -1.0),
        "inflation": _yearly(0.27, -0.07, -0.93, 1.94, 3.74, 1.35, 2.20),
        "exchange_rate": _yearly(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
        # Dollarised: no policy rate; the central bank's reference lending rate instead.
        "policy_rate": _yearly(8.7, 8.8, 8.5, 7.5, 8.5, 9.9, 10.9),
        "unemployment": _yearly(3.7, 3.8, 5.0, 4.1, 3.2, 3.4, 3.8),
        "trade_balance": _yearly(-40, 70, 280, 245, 200, 170, 480),
        "fdi_inflows": _yearly(115, 80, 92, 54, 70, 31, 25),
        "public_debt": _yearly(49.1, 51.4, 60.9, 62.2, 57.5, 55.5, 54.0),
    },
    "MEX": {
        "gdp_growth": _gdp(2.0, -0.4, -20.0, -4.5, 24.0, 1.2, 4.4, 3.2, 1.0),
        "inflation": _yearly(4.83, 2.83, 3.15, 7.36, 7.82, 4.66, 4.99),
        "exchange_rate": (
            ("2018-12", 20.1), ("2019-12", 19.0), ("2020-04", 24.2), ("2020-12", 20.1),
            ("2021-12", 20.9), ("2022-12", 19.4), ("2023-12", 17.2), ("2024-05", 16.8),
            ("2024-08", 19.2),
        ),
        "policy_rate": (
            ("2018-12", 8.25), ("2019-07", 8.25), ("2019-12", 7.25), ("2021-02", 4.0),
            ("2021-06", 4.0), ("2021-12", 5.5), ("2022-12", 10.5), ("2023-03", 11.25),
            ("2024-02", 11.25), ("2024-08", 10.75),
        ),
        "unemployment": _yearly(3.3, 3.4, 4.6, 3.5, 3.0, 2.7, 2.9),
        "trade_balance": _yearly(-170, 450, 2860, -920, -2200, -450, -100),
        "fdi_inflows": _yearly(2850, 2850, 2650, 2650, 3050, 3000, 3100),
        "public_debt": _yearly(53.6, 53.3, 60.1, 57.6, 54.0, 53.1, 54.3),
    },
    "PRY": {
        "gdp_growth": _gdp(3.2, -0.4, -9.0, -1.0, 12.0, 2.0, 0.2, 4.7, 4.0),
        "inflation": _yearly(3.2, 2.8, 2.2, 6.8, 8.1, 3.7, 4.1),
        "exchange_rate": (
            ("2018-12", 5960.0), ("2019-12", 6450.0), ("2020-12", 6900.0),
            ("2021-12", 6870.0), ("2022-12", 7250.0), ("2023-12", 7300.0),
            ("2024-08", 7560.0),
        ),
        "policy_rate": _yearly(5.25, 4.0, 0.75, 5.25, 8.5, 6.75, 6.0),
        "unemployment": _yearly(6.2, 6.6, 7.7, 7.5, 6.8, 5.9, 6.0),
        "trade_balance": _yearly(-50, 20, 210, -130, -290, 160, 60),
        "fdi_inflows": _yearly(30, 45, 10, 15, 55, 25, 30),
        "public_debt": _yearly(19.8, 22.1, 33.9, 34.2, 37.4, 38.2, 38.9),
    },
    "PER": {
        "gdp_growth": _gdp(4.0, 2.2, -32.0, -0.5, 45.0, 1.5, 3.3, -0.4, 3.6),
        "inflation": _yearly(2.19, 1.90, 1.97, 6.43, 8.46, 3.24, 2.03),
        "exchange_rate": (
            ("2018-12", 3.37), ("2019-12", 3.34), ("2020-12", 3.60), ("2021-09", 4.10),
            ("2021-12", 4.00), ("2022-12", 3.86), ("2023-12", 3.74), ("2024-08", 3.76),
        ),
        "policy_rate": (
            ("2018-12", 2.75), ("2019-07", 2.75), ("2019-12", 2.25), ("2020-04", 0.25),
            ("2021-07", 0.25), ("2021-12", 2.5), ("2022-12", 7.5), ("2023-08", 7.75),
            ("2023-12", 6.75), ("2024-08", 5.75),
        ),
        "unemployment": _yearly(6.1, 6.1, 13.0, 7.8, 7.1, 6.8, 6.4),
        "trade_balance": _yearly(610, 550, 670, 1250, 850, 1450, 1600),
        "fdi_inflows": _yearly(550, 670, 60, 620, 990, 330, 560),
        "public_debt": _yearly(25.6, 26.6, 34.6, 35.9, 33.8, 32.9, 33.5),
    },
    "URY": {
        "gdp_growth": _gdp(0.5, 0.7, -14.0, -2.0, 12.0, 4.5, 4.7, 0.4, 3.5),
        "inflation": _yearly(7.96, 8.79, 9.41, 7.96, 8.29, 5.11, 5.45),
        "exchange_rate": _yearly(32.4, 37.4, 42.6, 44.6, 39.8, 39.2, 40.3),
        "policy_rate": _yearly(9.25, 9.25, 4.5, 5.75, 11.25, 9.0, 8.5),
        "unemployment": _yearly(8.3, 8.9, 10.4, 7.0, 7.4, 8.3, 7.4),
        "trade_balance": _yearly(10, 70, 20, 150, 10, -60, 50),
        "fdi_inflows": _yearly(85, 110, 70, 300, 550, 220, 250),
        "public_debt": _yearly(60.3, 61.5, 68.3, 66.9, 60.4, 62.5, 63.8),
    },
}
# fmt: on

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
