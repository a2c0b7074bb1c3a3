"""The calendar the dataset covers, as numpy month arrays.

The base window is January 2019 to August 2024 (68 months of transactions); appending
months (`--append-month`) extends it one month at a time. Every random stream is keyed by
month or series, not by the window's length, so extending the window leaves every
existing month's data unchanged.
"""

from __future__ import annotations

import numpy as np

# Indicators start a month before the transactions so that month-over-month changes
# exist for the first transaction month.
FIRST_TRANSACTION_MONTH = np.datetime64("2019-01", "M")
BASE_LAST_MONTH = np.datetime64("2024-08", "M")
FIRST_INDICATOR_MONTH = FIRST_TRANSACTION_MONTH - 1
FIRST_DEMOGRAPHIC_YEAR = 2019


def month_range(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    """Every month from `first` to `last`, inclusive, as datetime64[M]."""
    return np.arange(first, last + 1, dtype="datetime64[M]")


def indicator_months(last: np.datetime64 = BASE_LAST_MONTH) -> np.ndarray:
    return month_range(FIRST_INDICATOR_MONTH, last)


def transaction_months(last: np.datetime64 = BASE_LAST_MONTH) -> np.ndarray:
    return month_range(FIRST_TRANSACTION_MONTH, last)


def demographic_years(last: np.datetime64 = BASE_LAST_MONTH) -> np.ndarray:
    return np.arange(FIRST_DEMOGRAPHIC_YEAR, last.astype(int) // 12 + 1970 + 1)


def month_index(month: str) -> int:
    """Months since the first indicator month, for anchors written as 'YYYY-MM'."""
    return int((np.datetime64(month, "M") - FIRST_INDICATOR_MONTH).astype(int))


FIRST_INDICATOR_DAY = FIRST_INDICATOR_MONTH.astype("datetime64[D]")


def days(last: np.datetime64 = BASE_LAST_MONTH) -> np.ndarray:
    """Every calendar day from the first indicator month to the end of `last`."""
    return np.arange(FIRST_INDICATOR_DAY, (last + 1).astype("datetime64[D]"), dtype="datetime64[D]")


def day_position(anchor: str) -> float:
    """Days since the first indicator day: a 'YYYY-MM-DD' anchor is that day, a 'YYYY-MM'
    anchor the middle of its month (so a month's average is near its anchor)."""
    if len(anchor) == len("YYYY-MM"):
        start = np.datetime64(anchor, "M").astype("datetime64[D]")
        length = int(((np.datetime64(anchor, "M") + 1).astype("datetime64[D]") - start).astype(int))
        return float((start - FIRST_INDICATOR_DAY).astype(int)) + (length - 1) / 2
    return float((np.datetime64(anchor, "D") - FIRST_INDICATOR_DAY).astype(int))
