"""Monthly economic indicators and annual demographics, as Arrow tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lending.generator.periods import (
    BASE_LAST_MONTH,
    demographic_years,
    indicator_months,
    month_index,
)
from lending.generator.profiles import (
    COUNTRIES,
    DEMOGRAPHIC_PROFILES,
    FIXED_EXCHANGE_RATE,
    INDICATORS,
    MACRO_ANCHORS,
    Anchors,
    Indicator,
)

INDICATOR_SCHEMA = pa.schema(
    [
        pa.field("country_code", pa.string()),
        pa.field("indicator_code", pa.string()),
        pa.field("reference_month", pa.date32()),
        pa.field("indicator_value", pa.float64()),
        pa.field("unit", pa.string()),
    ]
)

DEMOGRAPHIC_SCHEMA = pa.schema(
    [
        pa.field("country_code", pa.string()),
        pa.field("reference_year", pa.int16()),
        pa.field("population", pa.int64()),
        pa.field("urban_population_pct", pa.float64()),
        pa.field("literacy_rate_pct", pa.float64()),
        pa.field("life_expectancy_years", pa.float64()),
        pa.field("poverty_rate_pct", pa.float64()),
        pa.field("median_age_years", pa.float64()),
    ]
)


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
    for t in range(1, n):  # ~69 steps per series: a loop over months, not rows
        noise[t] = persistence * noise[t - 1] + np.sqrt(1.0 - persistence**2) * draws[t]
    return noise


def _series(
    rng: np.random.Generator, country: str, indicator: Indicator, n_months: int
) -> np.ndarray:
    anchors = MACRO_ANCHORS[country][indicator.code]
    noise = _smooth_noise(rng, n_months)
    if indicator.code == "exchange_rate":
        level = _interpolate(anchors, n_months, log_scale=True)
        if country not in FIXED_EXCHANGE_RATE:
            level = level * np.exp(indicator.relative_noise * noise)
    else:
        level = _interpolate(anchors, n_months, log_scale=False)
        typical = 0.25 * float(np.mean(np.abs([value for _, value in anchors])))
        spread = indicator.absolute_noise + indicator.relative_noise * np.maximum(
            np.abs(level), typical
        )
        level = level + spread * noise
    if indicator.code in {"unemployment", "policy_rate", "public_debt"}:
        level = np.maximum(level, 0.0)
    return np.round(level / indicator.rounding_step) * indicator.rounding_step


def economic_indicators(
    seed: int, last_month: np.datetime64 = BASE_LAST_MONTH
) -> tuple[pa.Table, np.ndarray]:
    """Long-format indicators, and the exchange-rate matrix [country, month] they contain.

    Transactions convert USD amounts to local currency with that same matrix, so the USD
    amounts the dbt models recover are consistent with the published rates. Past the last
    anchor a series holds its level and keeps its noise.
    """
    months = indicator_months(last_month)
    n_months = len(months)
    countries, indicators, month_values, values, units = [], [], [], [], []
    exchange_rates = np.empty((len(COUNTRIES), n_months))
    for country_idx, country in enumerate(COUNTRIES):
        for indicator_idx, indicator in enumerate(INDICATORS):
            rng = np.random.default_rng([seed, 1, country_idx, indicator_idx])
            series = _series(rng, country.code, indicator, n_months)
            if indicator.code == "exchange_rate":
                exchange_rates[country_idx] = series
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
