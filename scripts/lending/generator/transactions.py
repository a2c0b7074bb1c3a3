"""Loan transactions: a loan book planned up front, then written one calendar month at a time.

The plan (`LoanPlan`) draws every loan of the window, month by month: its country, sector,
borrower, principal, spread over the USD reference rate, grace period and maturity, and
its one disbursement (when, and whether it went through). A loan whose disbursement
completed is serviced every six months from then on: interest on the outstanding balance
at the reference rate of the period's start plus the loan's spread, and, once the grace
period is over, an equal instalment of principal until maturity. A payment that fails is
collected with the next one (principal and interest in arrears are due again then). Fees
(front-end, commitment and supervision fees) fill the rest of the transaction count, on
loans already in the book.

So the number of transactions each loan brings is known before any row is written: the
plan sizes the book to make the base window hold exactly `--transactions` rows, and then
each month is generated from its own random stream, with memory bounded by the book.
Appended months (`--append-month`) draw their new loans and fees from streams of their
own; the base window's plan and rows never depend on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from lending.generator.economy import daily_exchange_rates
from lending.generator.loans import (
    MONTHS_PER_PERIOD,
    NO_DISBURSEMENT,
    NO_DISTRESS,
    RESTRUCTURED,
    WRITTEN_OFF,
    Loans,
)
from lending.generator.periods import (
    BASE_LAST_MONTH,
    FIRST_INDICATOR_DAY,
    FIRST_TRANSACTION_MONTH,
    month_index,
    transaction_months,
)
from lending.generator.profiles import (
    COUNTRIES,
    SECTORS,
    STATUSES,
    TRANSACTION_TYPES,
    USD_REFERENCE_RATE,
)
from lending.generator.schemas import decimal_from_cents, dictionary, source_schema

TRANSACTION_SCHEMA = source_schema(
    "transactions",
    categories=("country_code", "sector_code", "transaction_type", "status", "currency_code"),
)

DISBURSEMENT, REPAYMENT, INTEREST, FEE, WRITE_OFF = range(5)
COMPLETED, FAILED, REVERSED, PENDING = range(4)
SECONDS_PER_DAY = 86_400

# Log-odds of a settled transaction failing for the bank as a whole, tuned so the overall
# success rate lands near 95%; country, sector, type and time effects move around it.
BASE_FAILURE_LOG_ODDS = -3.09
COVID_PEAK_MONTH = np.datetime64("2020-04", "M")
ARGENTINA_DEVALUATION_MONTH = np.datetime64("2023-12", "M")
# Settlement takes days: only the extract's last weeks can still be pending.
SETTLEMENT_DAYS = 30

# The share of the base window's transactions the plan leaves to fees; the exact count is
# whatever the loans' schedules leave of --transactions.
FEE_SHARE = 0.07
# Fees: 0.1-0.5% of the loan's principal.
FEE_SHARE_OF_PRINCIPAL = (0.001, 0.005)
# Half-years of grace around the sector's typical: one less, the same or one more.
GRACE_VARIATION = (-1, 0, 1)
# New lending grows about 1.8x over the base window; December closes the budget year with
# a burst, January is quiet, and the bank lent counter-cyclically in the 2020 pandemic.
LENDING_GROWTH = 0.8
COVID_RESPONSE_MONTH = np.datetime64("2020-06", "M")
# Principal bounds, USD.
MIN_PRINCIPAL_USD, MAX_PRINCIPAL_USD = 25_000, 400_000_000
# The opening book: loans first disbursed in the 25 years before the window, from a
# lending that grew about 3% a year (loans.py says what it is modelled on).
OPENING_FIRST_MONTH = -12 * 25
OPENING_GROWTH = 1.03
# Of the opening book's loans still in their grace period, the share whose last tranche
# (this share of the principal) disburses in the window, before the first instalment.
TRANCHE_SHARE = 0.6
TRANCHE_FRACTION = (0.2, 0.5)
# Commitments partly cancelled, and how much of them.
CANCELLED_SHARE = 0.15
CANCELLED_FRACTION = (0.05, 0.3)
# Days from the first disbursement back to the signing, and from the signing back to the
# board's approval; from the last disbursement on to the closing date.
SIGNING_DAYS_BEFORE = (45, 270)
APPROVAL_DAYS_BEFORE = (20, 150)
CLOSING_DAYS_AFTER = (180, 720)
# Defaults (loans.py): over a loan's life, an average loan defaults with this probability,
# scaled by its country's and sector's failure odds; of defaults, this share is restructured,
# the rest written off.
DISTRESS_SHARE = 0.06
RESTRUCTURED_SHARE = 0.6

_COUNTRY_WEIGHTS = np.array([c.lending_weight for c in COUNTRIES])
_COUNTRY_FAILURE = np.array([c.failure_log_odds for c in COUNTRIES])
_COUNTRY_MINOR_UNITS = 10.0 ** np.array([c.currency_decimals for c in COUNTRIES])
_ARGENTINA = [c.code for c in COUNTRIES].index("ARG")
_SECTOR_MIX = np.array([np.array(c.sector_weights) / sum(c.sector_weights) for c in COUNTRIES])
_SECTOR_CUMULATIVE = np.cumsum(_SECTOR_MIX, axis=1)
_SECTOR_MEDIAN_USD = np.array([s.median_principal_usd for s in SECTORS])
_SECTOR_SIGMA = np.array([s.principal_sigma for s in SECTORS])
_SECTOR_GRACE = np.array([round(2 * s.grace_years) for s in SECTORS])  # in periods
_SECTOR_PERIODS = np.array([2 * s.maturity_years for s in SECTORS])
_SECTOR_SPREAD = np.array([s.spread_pct for s in SECTORS])
_SECTOR_FAILURE = np.array([s.failure_log_odds for s in SECTORS])
_TYPE_FAILURE = np.array([t.failure_log_odds for t in TRANSACTION_TYPES])
_TYPE_REVERSAL = np.array([t.reversal_share for t in TRANSACTION_TYPES])
# Larger economies take larger loans: about 1.3x the median in Brazil, 0.75x in Uruguay.
_COUNTRY_SIZE = (_COUNTRY_WEIGHTS / 0.1) ** 0.3
_COUNTRY_CODES = tuple(c.code for c in COUNTRIES)
_CURRENCY_CODES = tuple(c.currency_code for c in COUNTRIES)
_SECTOR_CODES = tuple(s.code for s in SECTORS)
_TYPE_CODES = tuple(t.code for t in TRANSACTION_TYPES)


def reference_rates(months: np.ndarray) -> np.ndarray:
    """The six-month USD reference rate of each month, percent a year."""
    positions = [month_index(month) for month, _ in USD_REFERENCE_RATE]
    grid = (months - FIRST_TRANSACTION_MONTH).astype(int) + 1  # anchors count from Dec 2018
    return np.interp(grid, positions, [rate for _, rate in USD_REFERENCE_RATE])


def lending_weights(months: np.ndarray) -> np.ndarray:
    """Relative new lending per [month, country]: the bank's growth and calendar."""
    elapsed = (months - FIRST_TRANSACTION_MONTH).astype(int)
    base_length = len(transaction_months())
    calendar_month = months.astype(int) % 12 + 1
    growth = 1.0 + LENDING_GROWTH * elapsed / (base_length - 1)
    season = np.where(calendar_month == 12, 1.25, np.where(calendar_month == 1, 0.85, 1.0))
    pandemic = 1.0 + 0.3 * np.exp(-(((months - COVID_RESPONSE_MONTH).astype(int) / 3.0) ** 2))
    return np.outer(growth * season * pandemic, _COUNTRY_WEIGHTS)


def failure_probability(month: np.datetime64) -> np.ndarray:
    """Probability that a settled transaction fails, per [country, sector, type]."""
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
    log_odds = (
        BASE_FAILURE_LOG_ODDS
        + month_effect
        + country_effect[:, None, None]
        + _SECTOR_FAILURE[None, :, None]
        + _TYPE_FAILURE[None, None, :]
    )
    return 1 / (1 + np.exp(-log_odds))


def draw_statuses(
    rng: np.random.Generator,
    month: np.datetime64,
    kind: np.ndarray,
    country: np.ndarray,
    sector: np.ndarray,
    transaction_at: np.ndarray,
) -> np.ndarray:
    """completed, failed, reversed, or pending for a transaction of the extract's last
    weeks. The base window was extracted at its end; an appended month at its own end."""
    unsuccessful = rng.random(len(kind)) < failure_probability(month)[country, sector, kind]
    reversed_ = rng.random(len(kind)) < _TYPE_REVERSAL[kind]
    status = np.where(unsuccessful, np.where(reversed_, REVERSED, FAILED), COMPLETED)
    data_end = (max(month, BASE_LAST_MONTH) + 1).astype("datetime64[s]")
    days_before_end = (data_end - transaction_at).astype(np.int64) / SECONDS_PER_DAY
    pending_probability = np.where(
        days_before_end < SETTLEMENT_DAYS, 0.25 * np.exp(-days_before_end / 7.0), 0.0
    )
    status = np.where(rng.random(len(kind)) < pending_probability, PENDING, status)
    return status.astype(np.int8)


def sorted_timestamps(rng: np.random.Generator, month: np.datetime64, n: int) -> np.ndarray:
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


def _stochastic_round(values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole numbers with the expected value of `values`."""
    return (np.floor(values) + (u < values - np.floor(values))).astype(np.int64)


@dataclass
class LoanPlan:
    """Every loan of the window and of the opening book, and the number of transactions of
    every [month, country].

    The base window holds exactly the transactions asked for: the plan sizes the number of
    loans on their expected schedules, drops the latest loans if the drawn schedules bring
    too many rows, and leaves the rest to fees.
    """

    seed: int
    months: np.ndarray
    loans: Loans = field(init=False)
    # Loans first disbursed in month position m are
    # loans[month_offsets[m - OPENING_FIRST_MONTH]:month_offsets[m - OPENING_FIRST_MONTH + 1]].
    month_offsets: np.ndarray = field(init=False)
    fees: np.ndarray = field(init=False)  # [month, country]
    counts: np.ndarray = field(init=False)  # [month, country], all transactions
    borrower_pool: np.ndarray = field(init=False)
    borrower_offset: np.ndarray = field(init=False)

    @classmethod
    def draw(cls, seed: int, n_transactions: int, last_month: np.datetime64) -> LoanPlan:
        plan = cls(seed, transaction_months(last_month))
        base_length = len(transaction_months())
        new_loans, opening_loans = plan._new_loan_counts(n_transactions, base_length)
        # About 0.6 borrowers per loan: many borrowers come back for another loan.
        drawn = new_loans[:base_length].sum(axis=0) + opening_loans.sum(axis=0)
        plan.borrower_pool = np.maximum(np.round(drawn * 0.6), 20).astype(np.int64)
        plan.borrower_offset = np.concatenate([[0], np.cumsum(plan.borrower_pool)[:-1]])
        opening = Loans.concatenate(
            [
                plan._loans_of_month(m, opening_loans[m - OPENING_FIRST_MONTH])
                for m in range(OPENING_FIRST_MONTH, 0)
            ]
        )
        base = [plan._loans_of_month(m, new_loans[m]) for m in range(base_length)]
        base, fees = plan._fit([opening, *base], n_transactions, base_length - 1)
        appended = [
            plan._loans_of_month(m, new_loans[m]) for m in range(base_length, len(plan.months))
        ]
        plan.loans = Loans.concatenate(base + appended)
        plan.month_offsets = np.searchsorted(
            plan.loans.month, np.arange(OPENING_FIRST_MONTH, len(plan.months) + 1)
        )
        plan.fees = plan._fees(fees, base_length)
        plan.counts = plan._scheduled_counts() + plan.fees
        return plan

    def _new_loan_counts(
        self, n_transactions: int, base_length: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """[month, country] of the window and of the opening book: loans to draw, so that
        loans bring about (1 - FEE_SHARE) of the base window's transactions (a typical
        loan's schedule: sector mix and typical terms, most disbursements completing)."""
        weights = lending_weights(self.months)
        opening_positions = np.arange(OPENING_FIRST_MONTH, 0)
        opening_weights = np.outer(OPENING_GROWTH ** (opening_positions / 12), _COUNTRY_WEIGHTS)
        total = weights[:base_length].sum()
        weights, opening_weights = weights / total, opening_weights / total
        per_loan = 1 + 0.97 * _expected_payments(np.arange(base_length), base_length)
        opening_rows = _expected_payments(opening_positions, base_length) + TRANCHE_SHARE * (
            _expected_first_period(opening_positions)[:, None] <= _SECTOR_GRACE[None, :]
        )
        expected = (weights[:base_length] * (per_loan @ _SECTOR_MIX.T)).sum() + (
            opening_weights * (opening_rows @ _SECTOR_MIX.T)
        ).sum()
        n_loans = (1 - FEE_SHARE) * n_transactions / float(expected)
        u = np.empty(weights.shape)
        u[:base_length] = np.random.default_rng([self.seed, 3]).random(u[:base_length].shape)
        for month_idx in range(base_length, len(self.months)):
            u[month_idx] = np.random.default_rng([self.seed, 3, month_idx]).random(len(COUNTRIES))
        u_opening = np.random.default_rng([self.seed, 16]).random(opening_weights.shape)
        return (
            _stochastic_round(n_loans * weights, u),
            _stochastic_round(n_loans * opening_weights, u_opening),
        )

    def _fit(self, groups: list[Loans], n_transactions: int, last: int) -> tuple[list[Loans], int]:
        """The base window's loans (the opening book first) cut to bring at most
        n_transactions rows up to month position `last`, and the fees that make up the
        difference."""
        brought = np.cumsum(np.concatenate([g.transactions_until(last) for g in groups]))
        kept = int(np.searchsorted(brought, n_transactions, side="right"))
        fees = n_transactions - (int(brought[kept - 1]) if kept else 0)
        fitted, left = [], kept
        for loans in groups:
            fitted.append(loans.head(min(left, len(loans))))
            left -= len(fitted[-1])
        in_book = any(np.any(g.in_book & (g.month < last)) for g in fitted)
        if fees and not in_book:
            # No earlier loan to charge a fee on (a tiny --transactions): the rows are
            # loans of the last month instead, which bring one row each.
            extra = np.bincount(fitted[-1].country, minlength=len(COUNTRIES))
            extra[int(np.argmax(_COUNTRY_WEIGHTS))] += fees
            fitted[-1], fees = self._loans_of_month(last, extra), 0
        return fitted, fees

    def _fees(self, fees: int, base_length: int) -> np.ndarray:
        """[month, country]: fee rows, in proportion to the loans in the book; appended
        months at the base window's rate per loan."""
        book = self._book_sizes()
        result = np.zeros(book.shape, dtype=np.int64)
        base = book[:base_length]
        if fees:
            rng = np.random.default_rng([self.seed, 11])
            result[:base_length] = rng.multinomial(fees, base.ravel() / base.sum()).reshape(
                base.shape
            )
        rate = fees / max(int(base.sum()), 1)
        for month_idx in range(base_length, len(self.months)):
            rng = np.random.default_rng([self.seed, 11, month_idx])
            result[month_idx] = rng.poisson(rate * book[month_idx])
        return result

    def _cells(
        self, month: np.ndarray, country: np.ndarray, weights: np.ndarray | None = None
    ) -> np.ndarray:
        """A [month, country] histogram."""
        shape = (len(self.months), len(COUNTRIES))
        cells = np.bincount(month * shape[1] + country, weights, minlength=shape[0] * shape[1])
        return cells.astype(np.int64).reshape(shape)

    def _book_sizes(self) -> np.ndarray:
        """[month, country]: loans in the book since an earlier month (the opening book's
        from the start)."""
        loans = self.loans
        in_book = loans.in_book
        opening = np.bincount(loans.country[in_book & (loans.month < 0)], minlength=len(COUNTRIES))
        new = in_book & (loans.month >= 0)
        added = self._cells(loans.month[new], loans.country[new])
        return opening + np.cumsum(added, axis=0) - added

    def _scheduled_counts(self) -> np.ndarray:
        """[month, country]: disbursements and scheduled payments (and write-offs)."""
        loans = self.loans
        disbursed = loans.disbursement_month >= 0
        counts = self._cells(loans.disbursement_month[disbursed], loans.country[disbursed])
        for k in range(1, int(loans.last_period.max(initial=0)) + 1):
            due_month = loans.month + MONTHS_PER_PERIOD * k
            rows = loans.rows_at(k)
            due = (due_month >= 0) & (due_month < len(self.months)) & (rows > 0)
            counts += self._cells(due_month[due], loans.country[due], rows[due])
        return counts

    def _loans_of_month(self, month_idx: int, per_country: np.ndarray) -> Loans:
        """The loans first disbursed in a month, in time order, from the month's own
        stream; before the window (month_idx < 0), those of them still in the book at
        its start, with their balances brought forward."""
        opening = month_idx < 0
        stream = [self.seed, 14, -month_idx] if opening else [self.seed, 9, month_idx]
        rng = np.random.default_rng(stream)
        n = int(per_country.sum())
        country = rng.permutation(np.repeat(np.arange(len(COUNTRIES), dtype=np.int8), per_country))
        sector = np.empty(n, np.int8)
        u_sector = rng.random(n)
        for idx in range(len(COUNTRIES)):
            rows = country == idx
            sector[rows] = np.searchsorted(_SECTOR_CUMULATIVE[idx], u_sector[rows], side="right")
        sector = np.minimum(sector, len(SECTORS) - 1)
        # Skewed toward low numbers: a few large borrowers (ministries, utilities,
        # national development banks) come back often.
        local = np.floor(rng.random(n) ** 1.6 * self.borrower_pool[country]).astype(np.int64)
        median = _SECTOR_MEDIAN_USD[sector] * _COUNTRY_SIZE[country]
        principal = median * np.exp(_SECTOR_SIGMA[sector] * rng.standard_normal(n))
        principal = np.round(np.clip(principal, MIN_PRINCIPAL_USD, MAX_PRINCIPAL_USD), -3)
        # Spreads are quoted in basis points, in steps of five.
        spread = np.round((_SECTOR_SPREAD[sector] + rng.uniform(-0.25, 0.25, n)) * 20) / 20
        grace = np.maximum(_SECTOR_GRACE[sector] + rng.integers(-1, 2, n), 1)
        periods = _SECTOR_PERIODS[sector]
        month = FIRST_TRANSACTION_MONTH + month_idx
        first_disbursed_at = sorted_timestamps(rng, month, n)
        if opening:
            status = np.full(n, COMPLETED, np.int8)
        else:
            status = draw_statuses(
                rng, month, np.full(n, DISBURSEMENT, np.int8), country, sector, first_disbursed_at
            )
        cancelled = np.where(
            rng.random(n) < CANCELLED_SHARE,
            np.round(principal * rng.uniform(*CANCELLED_FRACTION, n), -3),
            0.0,
        )
        first_day = first_disbursed_at.astype("datetime64[D]")
        signing = first_day - rng.integers(*SIGNING_DAYS_BEFORE, n, endpoint=True)
        approval = signing - rng.integers(*APPROVAL_DAYS_BEFORE, n, endpoint=True)
        effective = signing + (rng.random(n) * (first_day - signing).astype(int)).astype(int)
        closing_days = rng.integers(*CLOSING_DAYS_AFTER, n, endpoint=True)
        first_period = np.full(n, _expected_first_period(np.array([month_idx]))[0])
        # Defaults: the first payment missed, somewhere in the loan's life in the window.
        latest = periods - 2
        eligible = np.maximum(latest - first_period + 1, 0)
        odds = np.exp(_COUNTRY_FAILURE[country] + _SECTOR_FAILURE[sector])
        defaults = rng.random(n) < DISTRESS_SHARE * odds * eligible / periods
        distress_period = np.where(
            defaults, first_period + (rng.random(n) * eligible).astype(np.int64), 0
        )
        outcome = np.where(
            defaults,
            np.where(rng.random(n) < RESTRUCTURED_SHARE, RESTRUCTURED, WRITTEN_OFF),
            NO_DISTRESS,
        ).astype(np.int8)
        loans = Loans(
            month=np.full(n, month_idx, dtype=np.int64),
            disbursement_month=np.full(n, NO_DISBURSEMENT if opening else month_idx, np.int64),
            country=country,
            sector=sector,
            borrower_number=self.borrower_offset[country] + local + 1,
            principal_usd=principal,
            cancelled_usd=cancelled,
            disbursed_before_usd=principal if opening else np.zeros(n),
            repaid_before_usd=np.zeros(n),
            spread_pct=spread,
            grace_periods=grace,
            periods=periods,
            status=status,
            transaction_at=first_disbursed_at,
            first_disbursed_at=first_disbursed_at,
            distress_period=distress_period,
            outcome=outcome,
            approval_date=approval,
            signing_date=signing,
            effective_date=effective,
            closing_date=first_day + closing_days,
        )
        if opening:
            loans = self._brought_forward(rng, loans, first_period, closing_days)
        return loans

    def _brought_forward(
        self,
        rng: np.random.Generator,
        loans: Loans,
        first_period: np.ndarray,
        closing_days: np.ndarray,
    ) -> Loans:
        """Loans of the opening book as at the window's start: those with a payment date in
        it, their principal repaid on schedule so far, and some still in their grace period
        with a last tranche to disburse in the window."""
        n = len(loans)
        base_length = len(transaction_months())
        in_grace = first_period <= loans.grace_periods
        tranche = np.where(
            in_grace & (rng.random(n) < TRANCHE_SHARE),
            np.round(loans.principal_usd * rng.uniform(*TRANCHE_FRACTION, n), -3),
            0.0,
        )
        has_tranche = tranche > 0
        # Before the first instalment falls due, and in the base window.
        first_instalment = loans.month + MONTHS_PER_PERIOD * (loans.grace_periods + 1)
        latest = np.clip(np.minimum(first_instalment, base_length), 1, None)
        tranche_month = np.where(has_tranche, (rng.random(n) * latest).astype(np.int64), -1)
        tranche_at = loans.transaction_at.copy()
        status = loans.status.copy()
        for month_idx in np.unique(tranche_month[has_tranche]):
            rows = np.flatnonzero(tranche_month == month_idx)
            month = self.months[month_idx]
            tranche_at[rows] = rng.permutation(sorted_timestamps(rng, month, len(rows)))
            status[rows] = draw_statuses(
                rng, month, np.full(len(rows), DISBURSEMENT, np.int8),
                loans.country[rows], loans.sector[rows], tranche_at[rows],
            )  # fmt: skip
        disbursed_before = loans.principal_usd - tranche
        amortised = np.clip(first_period - 1 - loans.grace_periods, 0, None) / (
            loans.periods - loans.grace_periods
        )
        last_disbursed = np.where(has_tranche, tranche_at, loans.first_disbursed_at)
        loans.disbursement_month = tranche_month
        loans.transaction_at = tranche_at
        loans.status = status
        loans.disbursed_before_usd = disbursed_before
        loans.repaid_before_usd = np.round(disbursed_before * amortised, 2)
        loans.closing_date = last_disbursed.astype("datetime64[D]") + closing_days
        alive = loans.month + MONTHS_PER_PERIOD * loans.periods >= 0
        return loans.take(alive)


def _expected_first_period(positions: np.ndarray) -> np.ndarray:
    """The first of a loan's payment dates that falls in the window, by the month position
    of its first disbursement."""
    return np.maximum(1, (-positions + MONTHS_PER_PERIOD - 1) // MONTHS_PER_PERIOD)


def _expected_payments(positions: np.ndarray, base_length: int) -> np.ndarray:
    """[position, sector]: the interest and principal payments a loan of the sector's
    typical terms makes in the base window, by the month position of its first
    disbursement."""
    first = _expected_first_period(positions)[:, None]
    last = np.minimum((base_length - 1 - positions)[:, None] // MONTHS_PER_PERIOD, _SECTOR_PERIODS)
    interest = np.maximum(last - first + 1, 0)
    principal = np.maximum(last - np.maximum(first, _SECTOR_GRACE + 1) + 1, 0)
    return interest + principal


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
                dictionary(self.country, _COUNTRY_CODES),
                dictionary(self.sector, _SECTOR_CODES),
                dictionary(self.kind, _TYPE_CODES),
                dictionary(self.status, STATUSES),
                decimal_from_cents(self.cents),
                dictionary(self.country, _CURRENCY_CODES),
                pa.array(self.transaction_at.astype("datetime64[us]")),
            ],
            schema=TRANSACTION_SCHEMA,
        )


@dataclass
class Payments:
    """A month's payments (interest, principal instalments, fees) and write-offs, before
    they are put in time order among its disbursements."""

    loan: np.ndarray  # position in the plan's loans
    kind: np.ndarray
    amount_usd: np.ndarray
    # The status a payment must get, whatever the draw (a defaulted borrower's missed
    # payment fails, a write-off is a book entry); NOT_FORCED draws it.
    forced: np.ndarray


NOT_FORCED = -1


class TransactionGenerator:
    """Yields one MonthBatch per month with transactions, in calendar order, servicing the
    plan's loans: what a payment pays depends on what earlier payments did."""

    def __init__(
        self, seed: int, n_transactions: int, last_month: np.datetime64 = BASE_LAST_MONTH
    ) -> None:
        self.seed = seed
        self.plan = LoanPlan.draw(seed, n_transactions, last_month)
        self.months = self.plan.months
        self.counts = self.plan.counts
        self.daily_rates = daily_exchange_rates(seed, last_month)
        self.reference_rates = reference_rates(self.months)
        loans = self.plan.loans
        self.outstanding_usd = loans.disbursed_before_usd - loans.repaid_before_usd
        # What the schedule amortises: what has been disbursed.
        self.disbursed_usd = loans.disbursed_before_usd.copy()
        self.rescheduled_usd = np.zeros(len(loans))  # the balance at a restructuring
        self.interest_arrears_usd = np.zeros(len(loans))
        # Each country's loans in the book, in disbursement order: the book fees are charged on.
        self.in_book = loans.in_book
        self.book = [
            np.flatnonzero(self.in_book & (loans.country == c)) for c in range(len(COUNTRIES))
        ]
        self.book_months = [loans.month[book] for book in self.book]
        # The opening book's tranches, by the month they disburse in.
        tranches = np.flatnonzero((loans.month < 0) & (loans.disbursement_month >= 0))
        self.tranches = tranches[np.argsort(loans.disbursement_month[tranches], kind="stable")]
        self.tranche_offsets = np.searchsorted(
            loans.disbursement_month[self.tranches], np.arange(len(self.months) + 1)
        )
        self.last_period = loans.last_period
        self.event_period = loans.event_period
        self.next_transaction = 1

    def __iter__(self) -> Iterator[MonthBatch]:
        for month_idx, month in enumerate(self.months):
            if self.counts[month_idx].sum() == 0:
                continue
            yield self._month(month_idx, month)

    def _first_disbursed_in(self, month_idx: int) -> np.ndarray:
        offsets = self.plan.month_offsets
        return np.arange(
            offsets[month_idx - OPENING_FIRST_MONTH], offsets[month_idx - OPENING_FIRST_MONTH + 1]
        )

    def _due(self, month_idx: int) -> tuple[np.ndarray, np.ndarray]:
        """Loans in the book with a payment date this month, and which period of theirs it
        ends."""
        due, period = [], []
        for k in range(1, (month_idx - OPENING_FIRST_MONTH) // MONTHS_PER_PERIOD + 1):
            idx = self._first_disbursed_in(month_idx - MONTHS_PER_PERIOD * k)
            idx = idx[self.in_book[idx] & (k <= self.last_period[idx])]
            due.append(idx)
            period.append(np.full(len(idx), k))
        if not due:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(due), np.concatenate(period)

    def _payments(self, rng: np.random.Generator, month_idx: int) -> Payments:
        loans = self.plan.loans
        due, period = self._due(month_idx)
        outcome, event = loans.outcome[due], self.event_period[due]
        at_event = (outcome != NO_DISTRESS) & (period == event)
        # A restructuring: the balance (principal in arrears included) is rescheduled.
        restructured = due[at_event & (outcome == RESTRUCTURED)]
        self.rescheduled_usd[restructured] = self.outstanding_usd[restructured]
        written_off = due[at_event & (outcome == WRITTEN_OFF)]
        paying, k = due[~at_event], period[~at_event]
        missed = (loans.outcome[paying] != NO_DISTRESS) & (k >= loans.distress_period[paying])
        missed &= k < self.event_period[paying]
        # Interest on the outstanding balance for half a year, at the reference rate of the
        # period's start plus the loan's spread, with any interest in arrears.
        start_rate = self.reference_rates[max(month_idx - MONTHS_PER_PERIOD, 0)]
        rate = (start_rate + loans.spread_pct[paying]) / 100
        interest = self.outstanding_usd[paying] * rate / 2 + self.interest_arrears_usd[paying]
        # After the grace period, what brings the balance down to its schedule (the
        # original, or the one a restructuring set): one equal instalment, plus any
        # instalment in arrears.
        rescheduled = (loans.outcome[paying] == RESTRUCTURED) & (k > self.event_period[paying])
        amortising = rescheduled | (k > loans.grace_periods[paying])
        instalment, k, rescheduled = paying[amortising], k[amortising], rescheduled[amortising]
        grace, periods = loans.grace_periods[instalment], loans.periods[instalment]
        scheduled = self.disbursed_usd[instalment] * (periods - k) / (periods - grace)
        last = self.last_period[instalment]
        new_schedule = (
            self.rescheduled_usd[instalment]
            * (last - k)
            / np.maximum(last - self.event_period[instalment], 1)
        )
        principal = self.outstanding_usd[instalment] - np.where(
            rescheduled, new_schedule, scheduled
        )
        fee_loans = []
        for country, n_fees in enumerate(self.plan.fees[month_idx]):
            book = self.book[country]
            in_book = np.searchsorted(self.book_months[country], month_idx)
            fee_loans.append(book[(rng.random(n_fees) * in_book).astype(np.int64)])
        fee = np.concatenate(fee_loans)
        low, high = FEE_SHARE_OF_PRINCIPAL
        failed = np.where(missed, FAILED, NOT_FORCED)
        return Payments(
            loan=np.concatenate([paying, instalment, fee, written_off]),
            kind=np.repeat(
                np.array([INTEREST, REPAYMENT, FEE, WRITE_OFF], np.int8),
                [len(paying), len(instalment), len(fee), len(written_off)],
            ),
            amount_usd=np.concatenate(
                [
                    interest,
                    principal,
                    loans.principal_usd[fee] * rng.uniform(low, high, len(fee)),
                    self.outstanding_usd[written_off],
                ]
            ),
            forced=np.concatenate(
                [
                    failed,
                    failed[amortising],
                    np.full(len(fee), NOT_FORCED),
                    np.full(len(written_off), COMPLETED),
                ]
            ).astype(np.int8),
        )

    def _settle(self, payments: Payments, status: np.ndarray) -> None:
        """Update the book: completed instalments lower the balance; interest that did not
        come in (failed, reversed, or still pending) is due again with the next payment; a
        write-off takes the balance off the book."""
        interest = payments.kind == INTEREST
        self.interest_arrears_usd[payments.loan[interest]] = np.where(
            status[interest] == COMPLETED, 0.0, payments.amount_usd[interest]
        )
        repaid = (payments.kind == REPAYMENT) & (status == COMPLETED)
        self.outstanding_usd[payments.loan[repaid]] -= payments.amount_usd[repaid]
        written_off = payments.loan[payments.kind == WRITE_OFF]
        self.outstanding_usd[written_off] = 0.0
        self.interest_arrears_usd[written_off] = 0.0

    def _month(self, month_idx: int, month: np.datetime64) -> MonthBatch:
        rng = np.random.default_rng([self.seed, 4, month_idx])
        loans = self.plan.loans
        payments = self._payments(rng, month_idx)
        n_payments = len(payments.loan)
        # Payment times are drawn sorted and each payment sent to a random one of them (a
        # shuffle is cheaper than sorting the rows).
        position = rng.permutation(n_payments)
        paid_at = sorted_timestamps(rng, month, n_payments)[position]
        country, sector = loans.country[payments.loan], loans.sector[payments.loan]
        status = draw_statuses(rng, month, payments.kind, country, sector, paid_at)
        status = np.where(payments.forced == NOT_FORCED, status, payments.forced).astype(np.int8)
        self._settle(payments, status)

        # Ledger order is time order: the month's disbursements (new loans' and the
        # opening book's tranches) go between the payments at their times.
        first, last = self.tranche_offsets[month_idx : month_idx + 2]
        tranches = self.tranches[first:last]
        new = np.concatenate([self._first_disbursed_in(month_idx), tranches])
        new = new[np.argsort(loans.transaction_at[new], kind="stable")]
        paid_out = new[loans.status[new] == COMPLETED]
        self.outstanding_usd[paid_out] += loans.disbursement_usd[paid_out]
        self.disbursed_usd[paid_out] += loans.disbursement_usd[paid_out]
        n = len(new) + n_payments
        disbursed_at = loans.transaction_at[new]
        payment_at = np.empty_like(paid_at)
        payment_at[position] = paid_at
        new_slots = np.searchsorted(payment_at, disbursed_at, side="right") + np.arange(len(new))
        payment_slots = np.delete(np.arange(n), new_slots)[position]

        def ledger(for_new: np.ndarray, for_payments: np.ndarray) -> np.ndarray:
            column = np.empty(n, for_payments.dtype)
            column[new_slots] = for_new
            column[payment_slots] = for_payments
            return column

        loan = ledger(new, payments.loan)
        transaction_at = ledger(disbursed_at, paid_at)
        amount_usd = ledger(loans.disbursement_usd[new], payments.amount_usd)
        country = loans.country[loan]
        day = (transaction_at.astype("datetime64[D]") - FIRST_INDICATOR_DAY).astype(np.int64)
        amount_local = amount_usd * self.daily_rates[country, day]  # booked at the day's rate
        scale = _COUNTRY_MINOR_UNITS[country]
        cents = (np.round(amount_local * scale) * (100 / scale)).astype(np.int64)
        transaction_number = self.next_transaction + np.arange(n)
        self.next_transaction += n
        return MonthBatch(
            month=month,
            transaction_number=transaction_number,
            loan_number=loan + 1,  # loans are numbered in disbursement order
            borrower_number=loans.borrower_number[loan],
            country=country,
            sector=loans.sector[loan],
            kind=ledger(np.full(len(new), DISBURSEMENT, np.int8), payments.kind),
            status=ledger(loans.status[new], status),
            cents=cents,
            transaction_at=transaction_at,
        )
