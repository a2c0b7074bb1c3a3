"""Loan transactions, generated one calendar month at a time.

Each month is drawn from its own random stream, so memory stays bounded by the largest
month plus the book of open loans, and the output does not depend on how the work is
chunked. Loans are born from completed disbursements; repayments, interest and fees of a
month always belong to a loan disbursed in an earlier month in the same country.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

from lending.generator.periods import BASE_LAST_MONTH, FIRST_TRANSACTION_MONTH, transaction_months
from lending.generator.profiles import (
    COUNTRIES,
    FIXED_EXCHANGE_RATE,
    SECTORS,
    STATUSES,
    TRANSACTION_TYPES,
)

# Low-cardinality strings are built as dictionary arrays; in the Parquet file they are
# ordinary string columns with dictionary encoding.
_CATEGORY = pa.dictionary(pa.int8(), pa.string())
TRANSACTION_SCHEMA = pa.schema(
    [
        pa.field("transaction_id", pa.int64()),
        pa.field("loan_id", pa.int64()),
        pa.field("borrower_id", pa.int64()),
        pa.field("country_code", _CATEGORY),
        pa.field("sector_code", _CATEGORY),
        pa.field("transaction_type", _CATEGORY),
        pa.field("status", _CATEGORY),
        pa.field("amount", pa.decimal128(18, 2)),
        pa.field("currency_code", _CATEGORY),
        pa.field("transaction_at", pa.timestamp("us")),
    ]
)

DISBURSEMENT, REPAYMENT = 0, 1
COMPLETED, FAILED, REVERSED, PENDING = range(4)
SECONDS_PER_DAY = 86_400

# Log-odds of a settled transaction failing for the bank as a whole, tuned so the overall
# success rate lands near 95%; country, sector, type and time effects move around it.
BASE_FAILURE_LOG_ODDS = -2.88
COVID_PEAK_MONTH = np.datetime64("2020-04", "M")
ARGENTINA_DEVALUATION_MONTH = np.datetime64("2023-12", "M")

_COUNTRY_WEIGHTS = np.array([c.lending_weight for c in COUNTRIES])
_COUNTRY_FAILURE = np.array([c.failure_log_odds for c in COUNTRIES])
_COUNTRY_MINOR_UNITS = 10.0 ** np.array([c.currency_decimals for c in COUNTRIES])
_COUNTRY_FLOATING = np.array([c.code not in FIXED_EXCHANGE_RATE for c in COUNTRIES])
_ARGENTINA = [c.code for c in COUNTRIES].index("ARG")
_SECTOR_CUMULATIVE = np.cumsum(
    [np.array(c.sector_weights) / sum(c.sector_weights) for c in COUNTRIES], axis=1
)
_SECTOR_MEDIAN_USD = np.array([s.median_disbursement_usd for s in SECTORS])
_SECTOR_SIGMA = np.array([s.disbursement_sigma for s in SECTORS])
_SECTOR_TENOR = np.array([s.tenor_years for s in SECTORS])
_SECTOR_FAILURE = np.array([s.failure_log_odds for s in SECTORS])
_TYPE_FAILURE = np.array([t.failure_log_odds for t in TRANSACTION_TYPES])
_TYPE_REVERSAL = np.array([t.reversal_share for t in TRANSACTION_TYPES])
_TYPE_STEADY = np.array([t.steady_state_share for t in TRANSACTION_TYPES])
# Larger economies take larger loans: about 1.3x the median in Brazil, 0.75x in Uruguay.
_COUNTRY_SIZE = (_COUNTRY_WEIGHTS / 0.1) ** 0.3
# Amount as a share of the loan's principal, per type: disbursements pay out the whole
# principal; instalments (divided by the number of instalments below), half a year of
# interest at 4-9% a year, and fees of 0.1-0.75%.
_AMOUNT_SHARE_LOW = np.array([1.0, 0.9, 0.02, 0.001])
_AMOUNT_SHARE_HIGH = np.array([1.0, 1.1, 0.045, 0.0075])
_COUNTRY_CODES = tuple(c.code for c in COUNTRIES)
_CURRENCY_CODES = tuple(c.currency_code for c in COUNTRIES)
_SECTOR_CODES = tuple(s.code for s in SECTORS)
_TYPE_CODES = tuple(t.code for t in TRANSACTION_TYPES)


def _dictionary(codes: np.ndarray, values: tuple[str, ...]) -> pa.DictionaryArray:
    """A string column from small integer codes, without a Python object per row.

    Parquet stores it as a plain string column with dictionary encoding.
    """
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(values))


def _decimal_from_cents(cents: np.ndarray) -> pa.Array:
    """Exact decimal(18, 2) from integer cents (no float rounding on the way)."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension into the high 64 bits
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def monthly_counts(
    seed: int, n_transactions: int, last_month: np.datetime64 = BASE_LAST_MONTH
) -> np.ndarray:
    """How many transactions each [month, country] gets.

    The base window (to August 2024) holds exactly n; an appended month gets what the
    trend gives it on the same scale, drawn from a stream of its own, so appending never
    changes the months before it.
    """
    months = transaction_months(last_month)
    elapsed = np.arange(len(months))
    base_length = len(transaction_months())
    calendar_month = months.astype(int) % 12 + 1
    # The book grows about 2.5x over the base window; December closes the budget year
    # with a burst of activity, January is quiet, and the 2020 lockdowns slowed everything.
    growth = 1.0 + 1.5 * elapsed / (base_length - 1)
    season = np.where(calendar_month == 12, 1.25, np.where(calendar_month == 1, 0.85, 1.0))
    lockdown = 1.0 - 0.25 * np.exp(-(((months - COVID_PEAK_MONTH).astype(int) / 1.5) ** 2))
    weights = np.outer(growth * season * lockdown, _COUNTRY_WEIGHTS)
    base = weights[:base_length]
    rng = np.random.default_rng([seed, 3])
    counts = np.empty(weights.shape, dtype=np.int64)
    counts[:base_length] = rng.multinomial(n_transactions, base.ravel() / base.sum()).reshape(
        base.shape
    )
    for month_idx in range(base_length, len(months)):
        expected = round(n_transactions * weights[month_idx].sum() / base.sum())
        month_rng = np.random.default_rng([seed, 3, month_idx])
        counts[month_idx] = month_rng.multinomial(
            expected, _COUNTRY_WEIGHTS / _COUNTRY_WEIGHTS.sum()
        )
    return counts


class LoanBook:
    """Completed disbursements so far, per country: the loans later payments refer to.

    Each country keeps its loans in growable arrays, so adding a month's new loans costs
    what the month adds, not what the book already holds.
    """

    FIELDS: ClassVar[dict[str, type]] = {
        "loan_number": np.int64,
        "sector": np.int8,
        "borrower_number": np.int64,
        "principal_usd": np.float64,
    }

    def __init__(self) -> None:
        self._columns = [
            {name: np.empty(1024, dtype) for name, dtype in self.FIELDS.items()} for _ in COUNTRIES
        ]
        self.sizes = np.zeros(len(COUNTRIES), dtype=np.int64)

    def column(self, country: int, name: str) -> np.ndarray:
        return self._columns[country][name][: self.sizes[country]]

    def add(self, country: int, **new: np.ndarray) -> None:
        columns, size = self._columns[country], self.sizes[country]
        needed = size + len(new["loan_number"])
        for name, values in new.items():
            if needed > len(columns[name]):
                grown = np.empty(max(needed, 2 * len(columns[name])), columns[name].dtype)
                grown[:size] = columns[name][:size]
                columns[name] = grown
            columns[name][size:needed] = values
        self.sizes[country] = needed


@dataclass
class MonthBatch:
    """One month of transactions as numpy columns; `table()` turns it into Arrow."""

    month: np.datetime64
    transaction_number: np.ndarray
    loan_number: np.ndarray
    borrower_number: np.ndarray
    country: np.ndarray
    sector: np.ndarray
    kind: np.ndarray
    status: np.ndarray
    cents: np.ndarray
    transaction_at: np.ndarray

    @property
    def num_rows(self) -> int:
        return len(self.transaction_number)

    def table(self) -> pa.Table:
        """The Arrow table to write. Arrow work only: safe to run in a worker thread."""
        return pa.table(
            [
                pa.array(self.transaction_number),
                pa.array(self.loan_number),
                pa.array(self.borrower_number),
                _dictionary(self.country, _COUNTRY_CODES),
                _dictionary(self.sector, _SECTOR_CODES),
                _dictionary(self.kind, _TYPE_CODES),
                _dictionary(self.status, STATUSES),
                _decimal_from_cents(self.cents),
                _dictionary(self.country, _CURRENCY_CODES),
                pa.array(self.transaction_at.astype("datetime64[us]")),
            ],
            schema=TRANSACTION_SCHEMA,
        )


class TransactionGenerator:
    """Yields one MonthBatch per month with transactions, in calendar order."""

    def __init__(
        self,
        seed: int,
        n_transactions: int,
        exchange_rates: np.ndarray,
        last_month: np.datetime64 = BASE_LAST_MONTH,
    ) -> None:
        self.seed = seed
        self.months = transaction_months(last_month)
        self.counts = monthly_counts(seed, n_transactions, last_month)
        # exchange_rates has one leading month (December 2018) before the first transaction.
        self.exchange_rates = exchange_rates[:, 1:]
        self.book = LoanBook()
        # Sized on the base window, so appended months draw from the same borrowers.
        expected_loans = self.counts[: len(transaction_months())].sum(axis=0) * 0.35
        # Roughly 0.6 borrowers per loan: many borrowers come back for another loan.
        self.borrower_pool = np.maximum(np.round(expected_loans * 0.6), 20).astype(np.int64)
        self.borrower_offset = np.concatenate([[0], np.cumsum(self.borrower_pool)[:-1]])
        self.next_transaction = 1
        self.next_loan = 1

    def __iter__(self) -> Iterator[MonthBatch]:
        for month_idx, month in enumerate(self.months):
            counts = self.counts[month_idx]
            if counts.sum() == 0:
                continue
            yield self._month(month_idx, month, counts)

    def _month(self, month_idx: int, month: np.datetime64, counts: np.ndarray) -> MonthBatch:
        rng = np.random.default_rng([self.seed, 4, month_idx])
        n = int(counts.sum())
        # Rows are drawn in blocks per country, then put in time (ledger) order at the end.
        country = np.repeat(np.arange(len(COUNTRIES), dtype=np.int8), counts)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        kind = self._transaction_types(rng, month_idx, country)
        is_new = kind == DISBURSEMENT

        sector = np.empty(n, np.int8)
        borrower_number = np.empty(n, np.int64)
        principal_usd = np.empty(n)
        loan_number = np.zeros(n, np.int64)
        u_sector, u_borrower, u_loan = rng.random(n), rng.random(n), rng.random(n)
        z_principal = rng.standard_normal(n)
        for idx in range(len(COUNTRIES)):
            block = slice(bounds[idx], bounds[idx + 1])
            new = np.flatnonzero(is_new[block]) + bounds[idx]
            old = np.flatnonzero(~is_new[block]) + bounds[idx]
            drawn = np.searchsorted(_SECTOR_CUMULATIVE[idx], u_sector[new], side="right")
            sector[new] = np.minimum(drawn, len(SECTORS) - 1)
            # Skewed toward low numbers: a few large borrowers (ministries, utilities,
            # national development banks) come back often.
            local = np.floor(u_borrower[new] ** 1.6 * self.borrower_pool[idx]).astype(np.int64)
            borrower_number[new] = self.borrower_offset[idx] + local + 1
            median = _SECTOR_MEDIAN_USD[sector[new]] * _COUNTRY_SIZE[idx]
            spread = _SECTOR_SIGMA[sector[new]] * z_principal[new]
            principal_usd[new] = np.clip(median * np.exp(spread), 25_000, 400_000_000)
            if len(old):
                pick = (u_loan[old] * self.book.sizes[idx]).astype(np.int64)
                loan_number[old] = self.book.column(idx, "loan_number")[pick]
                sector[old] = self.book.column(idx, "sector")[pick]
                borrower_number[old] = self.book.column(idx, "borrower_number")[pick]
                principal_usd[old] = self.book.column(idx, "principal_usd")[pick]

        # Ledger order is time order: timestamps are drawn sorted and each row is sent to
        # a random position among them (a shuffle is cheaper than sorting the rows).
        position = rng.permutation(n)
        transaction_at = self._sorted_timestamps(rng, month, n)[position]
        amount_usd = self._amounts_usd(rng, kind, sector, principal_usd)
        status = self._statuses(rng, month, kind, country, sector, transaction_at)
        # Booked at the day's rate; the marts convert at the monthly average, as the
        # bank's research reports do, so the two differ by a fraction of a percent.
        rate = self.exchange_rates[country, month_idx]
        intramonth = np.where(_COUNTRY_FLOATING[country], rng.normal(0, 0.004, n), 0.0)
        amount_local = amount_usd * rate * (1.0 + intramonth)
        scale = _COUNTRY_MINOR_UNITS[country]
        cents = (np.round(amount_local * scale) * (100 / scale)).astype(np.int64)

        def in_time_order(column: np.ndarray) -> np.ndarray:
            ordered = np.empty_like(column)
            ordered[position] = column
            return ordered

        country, kind, status = in_time_order(country), in_time_order(kind), in_time_order(status)
        sector, borrower_number = in_time_order(sector), in_time_order(borrower_number)
        loan_number, principal_usd = in_time_order(loan_number), in_time_order(principal_usd)
        cents, transaction_at = in_time_order(cents), in_time_order(transaction_at)
        # New loans are numbered in the order they were disbursed.
        new = np.flatnonzero(kind == DISBURSEMENT)
        loan_number[new] = self.next_loan + np.arange(len(new))
        self.next_loan += len(new)
        completed_new = new[status[new] == COMPLETED]
        for idx in np.unique(country[completed_new]):
            rows = completed_new[country[completed_new] == idx]
            self.book.add(
                int(idx),
                loan_number=loan_number[rows],
                sector=sector[rows],
                borrower_number=borrower_number[rows],
                principal_usd=principal_usd[rows],
            )

        transaction_number = self.next_transaction + np.arange(n)
        self.next_transaction += n
        return MonthBatch(
            month=month,
            transaction_number=transaction_number,
            loan_number=loan_number,
            borrower_number=borrower_number,
            country=country,
            sector=sector,
            kind=kind,
            status=status,
            cents=cents,
            transaction_at=transaction_at,
        )

    @staticmethod
    def _sorted_timestamps(rng: np.random.Generator, month: np.datetime64, n: int) -> np.ndarray:
        """Business-hours timestamps in UTC, ascending; most weekend bookings move to a
        weekday."""
        first_day = month.astype("datetime64[D]")
        days_in_month = int(((month + 1).astype("datetime64[D]") - first_day).astype(int))
        day = (rng.random(n) * days_in_month).astype(np.int64)
        weekday = (first_day.astype(np.int64) + day + 3) % 7  # 0 = Monday
        move = rng.random(n) < 0.85
        day = day - (move & (weekday == 5)) + (move & (weekday == 6))  # Sat->Fri, Sun->Mon
        day = np.clip(day, 0, days_in_month - 1)
        # Latin American business hours are roughly 12:00-23:00 UTC.
        seconds = np.clip(rng.normal(16.5 * 3600, 2.5 * 3600, n), 11 * 3600, 24 * 3600 - 1)
        into_month = np.sort((day * SECONDS_PER_DAY + seconds).astype(np.int32))
        start = first_day.astype("datetime64[s]").astype(np.int64)
        return (start + into_month).astype("datetime64[s]")

    def _transaction_types(
        self, rng: np.random.Generator, month_idx: int, country: np.ndarray
    ) -> np.ndarray:
        # A new book is mostly disbursements; payments catch up as loans age.
        disbursement_share = _TYPE_STEADY[0] + (1 - _TYPE_STEADY[0]) * np.exp(-month_idx / 5)
        others = _TYPE_STEADY[1:] / _TYPE_STEADY[1:].sum() * (1 - disbursement_share)
        cumulative = np.cumsum(np.concatenate([[disbursement_share], others]))
        kind = np.searchsorted(cumulative, rng.random(len(country)), side="right")
        kind = np.minimum(kind, len(TRANSACTION_TYPES) - 1).astype(np.int8)
        no_loans_yet = self.book.sizes[country] == 0
        kind[no_loans_yet] = DISBURSEMENT
        return kind

    @staticmethod
    def _amounts_usd(
        rng: np.random.Generator, kind: np.ndarray, sector: np.ndarray, principal: np.ndarray
    ) -> np.ndarray:
        """Each type a share of the loan's principal, drawn uniformly within its range."""
        low, high = _AMOUNT_SHARE_LOW[kind], _AMOUNT_SHARE_HIGH[kind]
        share = low + (high - low) * rng.random(len(kind))
        # A principal instalment repays the loan over its tenor in semi-annual payments.
        share = np.where(kind == REPAYMENT, share / (2 * _SECTOR_TENOR[sector]), share)
        return principal * share

    @staticmethod
    def _statuses(
        rng: np.random.Generator,
        month: np.datetime64,
        kind: np.ndarray,
        country: np.ndarray,
        sector: np.ndarray,
        transaction_at: np.ndarray,
    ) -> np.ndarray:
        months_from_covid = (month - COVID_PEAK_MONTH).astype(int)
        months_from_devaluation = (month - ARGENTINA_DEVALUATION_MONTH).astype(int)
        elapsed = (month - FIRST_TRANSACTION_MONTH).astype(int)
        month_effect = (
            # Lockdowns: payments bounced while borrowers' cash flows stopped.
            0.7 * np.exp(-((months_from_covid / 3.0) ** 2))
            # Payment rails got better over the period.
            - 0.006 * elapsed
        )
        country_effect = _COUNTRY_FAILURE.copy()
        country_effect[_ARGENTINA] += 0.9 * np.exp(-((months_from_devaluation / 2.0) ** 2))
        # Failure probability for every (country, sector, type), looked up per row.
        log_odds = (
            BASE_FAILURE_LOG_ODDS
            + month_effect
            + country_effect[:, None, None]
            + _SECTOR_FAILURE[None, :, None]
            + _TYPE_FAILURE[None, None, :]
        )
        failure_probability = (1 / (1 + np.exp(-log_odds)))[country, sector, kind]
        unsuccessful = rng.random(len(kind)) < failure_probability
        reversed_ = rng.random(len(kind)) < _TYPE_REVERSAL[kind]
        status = np.where(unsuccessful, np.where(reversed_, REVERSED, FAILED), COMPLETED)

        # Settlement takes days, so the last weeks of the extract are still pending; a few
        # older items are stuck in reconciliation. The base window was extracted at its
        # end; an appended month is extracted at its own end.
        data_end = (max(month, BASE_LAST_MONTH) + 1).astype("datetime64[s]")
        days_before_end = (data_end - transaction_at).astype(np.int64) / SECONDS_PER_DAY
        pending_probability = 0.0005 + 0.25 * np.exp(-days_before_end / 7.0)
        status = np.where(rng.random(len(kind)) < pending_probability, PENDING, status)
        return status.astype(np.int8)
