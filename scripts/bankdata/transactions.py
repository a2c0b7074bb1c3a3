"""Loan transactions, generated one calendar month at a time.

Each month is drawn from its own random stream, so memory stays bounded by the largest
month plus the book of open loans, and the output does not depend on how the work is
chunked. Loans are born from completed disbursements; repayments, interest and fees of a
month always belong to a loan disbursed in an earlier month in the same country.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankdata.periods import LAST_MONTH, transaction_months
from bankdata.profiles import (
    COUNTRIES,
    FIXED_EXCHANGE_RATE,
    SECTORS,
    STATUSES,
    TRANSACTION_TYPES,
)

TRANSACTION_SCHEMA = pa.schema(
    [
        pa.field("transaction_id", pa.string(), nullable=False),
        pa.field("loan_id", pa.string(), nullable=False),
        pa.field("borrower_id", pa.string(), nullable=False),
        pa.field("country_code", pa.string(), nullable=False),
        pa.field("sector_code", pa.string(), nullable=False),
        pa.field("transaction_type", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("amount", pa.decimal128(18, 2), nullable=False),
        pa.field("currency_code", pa.string(), nullable=False),
        pa.field("transaction_at", pa.timestamp("us"), nullable=False),
    ]
)

DISBURSEMENT = 0
COMPLETED, FAILED, REVERSED, PENDING = range(4)
SECONDS_PER_DAY = 86_400

# Log-odds of a settled transaction failing for the bank as a whole, tuned so the overall
# success rate lands near 95%; country, sector, type and time effects move around it.
BASE_FAILURE_LOG_ODDS = -2.88
COVID_PEAK_MONTH = np.datetime64("2020-04", "M")
ARGENTINA_DEVALUATION_MONTH = np.datetime64("2023-12", "M")

_COUNTRY_WEIGHTS = np.array([c.lending_weight for c in COUNTRIES])
_COUNTRY_FAILURE = np.array([c.failure_log_odds for c in COUNTRIES])
_COUNTRY_DECIMALS = np.array([c.currency_decimals for c in COUNTRIES])
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


def _dictionary(codes: np.ndarray, values: tuple[str, ...]) -> pa.Array:
    """Strings from small integer codes without building Python objects per row."""
    indices = pa.array(codes.astype(np.int8))
    return pc.cast(pa.DictionaryArray.from_arrays(indices, pa.array(values)), pa.string())


def _prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _decimal_from_cents(cents: np.ndarray) -> pa.Array:
    """Exact decimal(18, 2) from integer cents (no float rounding on the way)."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension into the high 64 bits
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def monthly_counts(seed: int, n_transactions: int) -> np.ndarray:
    """How many transactions each [month, country] gets, summing to exactly n."""
    months = transaction_months()
    elapsed = np.arange(len(months))
    calendar_month = months.astype(int) % 12 + 1
    # The book grows about 2.5x over the period; December closes the budget year with a
    # burst of activity, January is quiet, and the 2020 lockdowns slowed everything.
    growth = 1.0 + 1.5 * elapsed / max(len(months) - 1, 1)
    season = np.where(calendar_month == 12, 1.25, np.where(calendar_month == 1, 0.85, 1.0))
    lockdown = 1.0 - 0.25 * np.exp(-(((months - COVID_PEAK_MONTH).astype(int) / 1.5) ** 2))
    weights = np.outer(growth * season * lockdown, _COUNTRY_WEIGHTS)
    rng = np.random.default_rng([seed, 3])
    flat = rng.multinomial(n_transactions, weights.ravel() / weights.sum())
    return flat.reshape(weights.shape)


@dataclass
class LoanBook:
    """Completed disbursements so far, per country: the loans later payments refer to."""

    loan_number: list[np.ndarray] = field(default_factory=list)
    sector: list[np.ndarray] = field(default_factory=list)
    borrower_number: list[np.ndarray] = field(default_factory=list)
    principal_usd: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def empty(cls) -> LoanBook:
        book = cls()
        for _ in COUNTRIES:
            book.loan_number.append(np.empty(0, np.int64))
            book.sector.append(np.empty(0, np.int8))
            book.borrower_number.append(np.empty(0, np.int64))
            book.principal_usd.append(np.empty(0, np.float64))
        return book

    def sizes(self) -> np.ndarray:
        return np.array([len(loans) for loans in self.loan_number])

    def add(
        self,
        country: np.ndarray,
        loan_number: np.ndarray,
        sector: np.ndarray,
        borrower_number: np.ndarray,
        principal_usd: np.ndarray,
    ) -> None:
        for idx in np.unique(country):
            mine = country == idx
            self.loan_number[idx] = np.concatenate([self.loan_number[idx], loan_number[mine]])
            self.sector[idx] = np.concatenate([self.sector[idx], sector[mine]])
            self.borrower_number[idx] = np.concatenate(
                [self.borrower_number[idx], borrower_number[mine]]
            )
            self.principal_usd[idx] = np.concatenate([self.principal_usd[idx], principal_usd[mine]])


@dataclass
class MonthBatch:
    month: np.datetime64
    table: pa.Table


class TransactionGenerator:
    """Yields one Arrow table per month, in calendar order."""

    def __init__(self, seed: int, n_transactions: int, exchange_rates: np.ndarray) -> None:
        self.seed = seed
        self.months = transaction_months()
        self.counts = monthly_counts(seed, n_transactions)
        # exchange_rates has one leading month (December 2018) before the first transaction.
        self.exchange_rates = exchange_rates[:, 1:]
        self.book = LoanBook.empty()
        expected_loans = self.counts.sum(axis=0) * 0.35
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
            yield MonthBatch(month, self._month(month_idx, month, counts))

    def _month(self, month_idx: int, month: np.datetime64, counts: np.ndarray) -> pa.Table:
        rng = np.random.default_rng([self.seed, 4, month_idx])
        n = int(counts.sum())
        country = np.repeat(np.arange(len(COUNTRIES), dtype=np.int8), counts)

        transaction_at = self._timestamps(rng, month, n)
        order = np.argsort(transaction_at, kind="stable")
        country, transaction_at = country[order], transaction_at[order]

        kind = self._transaction_types(rng, month_idx, country)
        is_disbursement = kind == DISBURSEMENT
        loan_number = np.empty(n, np.int64)
        sector = np.empty(n, np.int8)
        borrower_number = np.empty(n, np.int64)
        principal_usd = np.empty(n)

        new = np.flatnonzero(is_disbursement)
        loan_number[new] = self.next_loan + np.arange(len(new))
        self.next_loan += len(new)
        sector[new] = self._draw_sectors(rng, country[new])
        borrower_number[new] = self._draw_borrowers(rng, country[new])
        principal_usd[new] = np.clip(
            np.exp(
                np.log(_SECTOR_MEDIAN_USD[sector[new]] * _COUNTRY_SIZE[country[new]])
                + _SECTOR_SIGMA[sector[new]] * rng.standard_normal(len(new))
            ),
            25_000,
            400_000_000,
        )

        existing = np.flatnonzero(~is_disbursement)
        book_sizes = self.book.sizes()
        pick = np.floor(rng.random(len(existing)) * book_sizes[country[existing]])
        pick = pick.astype(np.int64)
        for idx in np.unique(country[existing]):
            rows = existing[country[existing] == idx]
            chosen = pick[country[existing] == idx]
            loan_number[rows] = self.book.loan_number[idx][chosen]
            sector[rows] = self.book.sector[idx][chosen]
            borrower_number[rows] = self.book.borrower_number[idx][chosen]
            principal_usd[rows] = self.book.principal_usd[idx][chosen]

        amount_usd = self._amounts_usd(rng, kind, sector, principal_usd)
        status = self._statuses(rng, month, kind, country, sector, transaction_at)

        completed_new = new[status[new] == COMPLETED]
        self.book.add(
            country[completed_new],
            loan_number[completed_new],
            sector[completed_new],
            borrower_number[completed_new],
            principal_usd[completed_new],
        )

        # Booked at the day's rate; the marts convert at the monthly average, as the
        # bank's research reports do, so the two differ by a fraction of a percent.
        rate = self.exchange_rates[country, month_idx]
        intramonth = np.where(_COUNTRY_FLOATING[country], rng.normal(0, 0.004, n), 0.0)
        amount_local = amount_usd * rate * (1.0 + intramonth)
        scale = 10.0 ** _COUNTRY_DECIMALS[country]
        cents = (np.round(amount_local * scale) * (100 / scale)).astype(np.int64)

        transaction_number = self.next_transaction + np.arange(n)
        self.next_transaction += n
        return pa.table(
            [
                _prefixed_ids("TX", transaction_number, 10),
                _prefixed_ids("LN", loan_number, 8),
                _prefixed_ids("BR", borrower_number, 8),
                _dictionary(country, tuple(c.code for c in COUNTRIES)),
                _dictionary(sector, tuple(s.code for s in SECTORS)),
                _dictionary(kind, tuple(t.code for t in TRANSACTION_TYPES)),
                _dictionary(status, STATUSES),
                _decimal_from_cents(cents),
                _dictionary(country, tuple(c.currency_code for c in COUNTRIES)),
                pa.array(transaction_at.astype("datetime64[us]")),
            ],
            schema=TRANSACTION_SCHEMA,
        )

    @staticmethod
    def _timestamps(rng: np.random.Generator, month: np.datetime64, n: int) -> np.ndarray:
        """Business-hours timestamps in UTC; most weekend bookings move to a weekday."""
        first_day = month.astype("datetime64[D]")
        days_in_month = int(((month + 1).astype("datetime64[D]") - first_day).astype(int))
        day = np.floor(rng.random(n) * days_in_month).astype(np.int64)
        weekday = (first_day.astype(np.int64) + day + 3) % 7  # 0 = Monday
        move = rng.random(n) < 0.85
        day = np.where(move & (weekday == 5), day - 1, day)  # Saturday -> Friday
        day = np.where(move & (weekday == 6), day + 1, day)  # Sunday -> Monday
        day = np.clip(day, 0, days_in_month - 1)
        # Latin American business hours are roughly 12:00-23:00 UTC.
        seconds = np.clip(rng.normal(16.5, 2.5, n), 11.0, 23.99) * 3600
        stamp = first_day.astype("datetime64[s]").astype(np.int64)
        stamp = stamp + day * SECONDS_PER_DAY + seconds.astype(np.int64)
        return stamp.astype("datetime64[s]")

    def _transaction_types(
        self, rng: np.random.Generator, month_idx: int, country: np.ndarray
    ) -> np.ndarray:
        # A new book is mostly disbursements; payments catch up as loans age.
        disbursement_share = _TYPE_STEADY[0] + (1 - _TYPE_STEADY[0]) * np.exp(-month_idx / 5)
        others = _TYPE_STEADY[1:] / _TYPE_STEADY[1:].sum() * (1 - disbursement_share)
        cumulative = np.cumsum(np.concatenate([[disbursement_share], others]))
        kind = np.searchsorted(cumulative, rng.random(len(country)), side="right")
        kind = np.minimum(kind, len(TRANSACTION_TYPES) - 1).astype(np.int8)
        no_loans_yet = self.book.sizes()[country] == 0
        return np.where(no_loans_yet, DISBURSEMENT, kind).astype(np.int8)

    @staticmethod
    def _draw_sectors(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
        cumulative = _SECTOR_CUMULATIVE[country]
        sector = (rng.random(len(country))[:, None] > cumulative).sum(axis=1)
        return np.minimum(sector, len(SECTORS) - 1).astype(np.int8)

    def _draw_borrowers(self, rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
        # Skewed toward low numbers: a few large borrowers (ministries, utilities,
        # national development banks) come back often.
        local = np.floor(rng.random(len(country)) ** 1.6 * self.borrower_pool[country])
        return self.borrower_offset[country] + local.astype(np.int64) + 1

    @staticmethod
    def _amounts_usd(
        rng: np.random.Generator, kind: np.ndarray, sector: np.ndarray, principal: np.ndarray
    ) -> np.ndarray:
        n = len(kind)
        instalment = principal / (2 * _SECTOR_TENOR[sector]) * rng.lognormal(0, 0.1, n)
        interest = principal * rng.uniform(0.02, 0.045, n)  # half a year at 4-9% a year
        fee = principal * rng.uniform(0.001, 0.0075, n)
        return np.select(
            [kind == 0, kind == 1, kind == 2], [principal, instalment, interest], default=fee
        )

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
        elapsed = (month - transaction_months()[0]).astype(int)
        log_odds = (
            BASE_FAILURE_LOG_ODDS
            + _COUNTRY_FAILURE[country]
            + _SECTOR_FAILURE[sector]
            + _TYPE_FAILURE[kind]
            # Lockdowns: payments bounced while borrowers' cash flows stopped.
            + 0.7 * np.exp(-((months_from_covid / 3.0) ** 2))
            # Payment rails got better over the period.
            - 0.006 * elapsed
        )
        argentina = country == _ARGENTINA
        log_odds = log_odds + argentina * 0.9 * np.exp(-((months_from_devaluation / 2.0) ** 2))
        unsuccessful = rng.random(len(kind)) < 1 / (1 + np.exp(-log_odds))
        reversed_ = rng.random(len(kind)) < _TYPE_REVERSAL[kind]
        status = np.where(unsuccessful, np.where(reversed_, REVERSED, FAILED), COMPLETED)

        # Settlement takes days, so the last weeks of the extract are still pending; a few
        # older items are stuck in reconciliation.
        data_end = (LAST_MONTH + 1).astype("datetime64[s]")
        days_before_end = (data_end - transaction_at).astype(np.int64) / SECONDS_PER_DAY
        pending_probability = 0.0005 + 0.25 * np.exp(-days_before_end / 7.0)
        status = np.where(rng.random(len(kind)) < pending_probability, PENDING, status)
        return status.astype(np.int8)
