"""The calendar the dataset covers, as numpy month arrays."""

from __future__ import annotations

import numpy as np

# Transactions run from January 2019 to August 2024 (68 months). Indicators start a month
# earlier so that month-over-month changes exist for the first transaction month.
FIRST_TRANSACTION_MONTH = np.datetime64("2019-01", "M")
LAST_MONTH = np.datetime64("2024-08", "M")
FIRST_INDICATOR_MONTH = FIRST_TRANSACTION_MONTH - 1
DEMOGRAPHIC_YEARS: tuple[int, ...] = tuple(range(2019, 2025))


def month_range(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    """Every month from `first` to `last`, inclusive, as datetime64[M]."""
    return np.arange(first, last + 1, dtype="datetime64[M]")


def indicator_months() -> np.ndarray:
    return month_range(FIRST_INDICATOR_MONTH, LAST_MONTH)


def transaction_months() -> np.ndarray:
    return month_range(FIRST_TRANSACTION_MONTH, LAST_MONTH)


def month_index(month: str) -> int:
    """Months since the first indicator month, for anchors written as 'YYYY-MM'."""
    return int((np.datetime64(month, "M") - FIRST_INDICATOR_MONTH).astype(int))
