"""Monthly economic indicators and annual demographics, as Arrow tables."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import numpy as np
import pyarrow as pa

from lending.generator.periods import (
    BASE_LAST_MONTH,
    day_position,
    days,
    demographic_years,
    indicator_months,
    month_index,
)
from lending.generator.profiles import (
    COUNTRIES,
    DAILY_EXCHANGE_RATE_NOISE,
    DEMOGRAPHIC_PROFILES,
    INDICATORS,
    MACRO_ANCHORS,
    Anchors,
    Indicator,
)
from lending.generator.schemas import source_schema

# Exchange rates wander for weeks around their path: daily AR(1) persistence.
DAILY_PERSISTENCE = 0.97

INDICATOR_SCHEMA = source_schema("economic_indicators")
DEMOGRAPHIC_SCHEMA = source_schema("demographics")


def _interpolate(anchors: Anchors, n_months: int, log_scale: bool) -> np.ndarray:
    positions = np.array([month_index(month) for month, _ in anchors], dtype=float)
    values = np.array([value for _, value in anchors], dtype=float)
    grid = np.arange(n_months, dtype=float)
    if log_scale:
        return np.exp(np.interp(grid, positions, np.log(values)))
    return np.interp(grid, positions, values)


def _smooth_noise(rng: np.random.Generator, n: int, persistence: float = 0.6) -> np.ndarray:
    """Unit-variance AR(1) noise, so series wander rather than jitter month to month.

    The first n values do not depend on n: a longer series extends a shorter one.
    """
    draws = rng.standard_normal(n)
    noise = np.empty(n)
    noise[0] = draws[0]
    innovation = np.sqrt(1.0 - persistence**2)
    for t in range(1, n):  # a loop over months or days, not rows
        noise[t] = persistence * noise[t - 1] + innovation * draws[t]
    return noise


def round_to_step(values: np.ndarray, step: float) -> np.ndarray:
    """Values on the publisher's grid (0.1, 0.25, 0.0001...), each the float nearest its
    decimal value: 3.4, never 3.4000000000000004."""
    decimals = max(0, -Decimal(str(step)).normalize().as_tuple().exponent)
    return np.round(np.round(values / step) * step, decimals)


@cache
def daily_exchange_rates(seed: int, last_month: np.datetime64 = BASE_LAST_MONTH) -> np.ndarray:
    """Local currency per US dollar for every country [row] and calendar day [column]
    from December 2018: the anchors interpolated day by day (in logs, so a step
    devaluation is two anchors a day apart), times each currency's own wobble.

    Transactions are booked at the day's rate; the published monthly indicator is the
    average of the month's days. Read-only, shared by both.
    """
    positions = np.arange(len(days(last_month)), dtype=float)
    rates = np.empty((len(COUNTRIES), len(positions)))
    for country_idx, country in enumerate(COUNTRIES):
        anchors = MACRO_ANCHORS[country.code]["exchange_rate"]
        level = np.exp(
            np.interp(
                positions,
                [day_position(day) for day, _ in anchors],
                np.log([value for _, value in anchors]),
            )
        )
        noise = _smooth_noise(
            np.random.default_rng([seed, 10, country_idx]), len(positions), DAILY_PERSISTENCE
        )
        rates[country_idx] = level * np.exp(DAILY_EXCHANGE_RATE_NOISE[country.code] * noise)
    rates.flags.writeable = False
    return rates


def monthly_average_exchange_rates(
    seed: int, last_month: np.datetime64 = BASE_LAST_MONTH
) -> np.ndarray:
    """[country, month] from December 2018: the mean of each month's daily rates, at the
    published precision."""
    daily = daily_exchange_rates(seed, last_month)
    month_of_day = days(last_month).astype("datetime64[M]")
    starts = np.flatnonzero(np.r_[True, month_of_day[1:] != month_of_day[:-1]])
    lengths = np.diff(np.r_[starts, len(month_of_day)])
    step = next(i.rounding_step for i in INDICATORS if i.code == "exchange_rate")
    return round_to_step(np.add.reduceat(daily, starts, axis=1) / lengths, step)


def _series(
    rng: np.random.Generator, country: str, indicator: Indicator, n_months: int
) -> np.ndarray:
    anchors = MACRO_ANCHORS[country][indicator.code]
    noise = _smooth_noise(rng, n_months)
    level = _interpolate(anchors, n_months, log_scale=False)
    typical = 0.25 * float(np.mean(np.abs([value for _, value in anchors])))
    spread = indicator.absolute_noise + indicator.relative_noise * np.maximum(
        np.abs(level), typical
    )
    level = level + spread * noise
    if indicator.code in {"unemployment", "policy_rate", "public_debt"}:
        level = np.maximum(level, 0.0)
    return round_to_step(level, indicator.rounding_step)


def economic_indicators(
    seed: int, last_month: np.datetime64 = BASE_LAST_MONTH
) -> tuple[pa.Table, np.ndarray]:
    """Long-format indicators, and the exchange-rate matrix [country, month] they contain.

    The exchange rate is each month's average of the daily rates transactions are booked
    at (`daily_exchange_rates`), so the USD amounts the dbt models recover at the monthly
    average agree with the booked amounts over the month. Past the last anchor a series
    holds its level and keeps its noise.
    """
    months = indicator_months(last_month)
    n_months = len(months)
    exchange_rates = monthly_average_exchange_rates(seed, last_month)
    countries, indicators, month_values, values, units = [], [], [], [], []
    for country_idx, country in enumerate(COUNTRIES):
        for indicator in INDICATORS:
            if indicator.code == "exchange_rate":
                series = exchange_rates[country_idx]
            else:
                rng = np.random.default_rng([seed, 1, country_idx, indicator.stream])
                series = _series(rng, country.code, indicator, n_months)
            countries.append(np.full(n_months, country.code))
            indicators.append(np.full(n_months, indicator.code))
            month_values.append(months)
            values.append(series)
            units.append(np.full(n_months, indicator.unit))
    table = pa.table(
        {
            "country_code": np.concatenate(countries),
            "indicator_code": np.concatenate(indicators),
            "reference_month": np.concatenate(month_values).astype("datetime64[D]"),
            "indicator_value": np.concatenate(values),
            "unit": np.concatenate(units),
        },
        schema=INDICATOR_SCHEMA,
    )
    return table, exchange_rates


def _held(values: tuple[float, ...], n: int) -> np.ndarray:
    """`values`, with the last one repeated until there are n."""
    return np.array([*values, *[values[-1]] * (n - len(values))])[:n]


def demographics(seed: int, last_month: np.datetime64 = BASE_LAST_MONTH) -> pa.Table:
    """One row per country and year, 2019 to the year of `last_month`."""
    years = demographic_years(last_month)
    elapsed = years - years[0]
    # Life expectancy fell in 2020 and bottomed in 2021 with COVID-19, then recovered.
    covid_shape = np.array([0.0, 0.5, 1.0, 0.35, 0.1] + [-0.1] * (len(years) - 5))[: len(years)]
    columns: dict[str, list[np.ndarray]] = {name: [] for name in DEMOGRAPHIC_SCHEMA.names}
    for country_idx, country in enumerate(COUNTRIES):
        (
            population_mn,
            growth_pct,
            urban_pct,
            literacy_pct,
            life_exp,
            covid_loss,
            poverty,
            median_age,
        ) = DEMOGRAPHIC_PROFILES[country.code]
        rng = np.random.default_rng([seed, 2, country_idx])
        # One row of draws per year, so a later year extends the earlier ones.
        jitter = rng.standard_normal((len(years), 6)).T
        population = population_mn * 1e6 * (1 + growth_pct / 100) ** elapsed
        population *= 1 + 0.002 * jitter[0]
        columns["country_code"].append(np.full(len(years), country.code))
        columns["reference_year"].append(years.astype(np.int16))
        columns["population"].append(np.round(population).astype(np.int64))
        columns["urban_population_pct"].append(
            np.round(np.minimum(urban_pct + 0.15 * elapsed + 0.05 * jitter[1], 100.0), 1)
        )
        columns["literacy_rate_pct"].append(
            np.round(np.minimum(literacy_pct + 0.1 * elapsed + 0.05 * jitter[2], 99.9), 1)
        )
        columns["life_expectancy_years"].append(
            np.round(life_exp - covid_loss * covid_shape + 0.1 * jitter[3], 1)
        )
        columns["poverty_rate_pct"].append(
            np.round(np.clip(_held(poverty, len(years)) + 0.3 * jitter[4], 0.0, 100.0), 1)
        )
        columns["median_age_years"].append(
            np.round(median_age + 0.3 * elapsed + 0.05 * jitter[5], 1)
        )
    return pa.table(
        {name: np.concatenate(parts) for name, parts in columns.items()},
        schema=DEMOGRAPHIC_SCHEMA,
    )
