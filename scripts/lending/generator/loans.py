"""The loan book: each loan's terms, the schedule it is serviced on, and the loans file.

The loans file (`loans/year=YYYY/part-0.parquet`, by the year its agreement was signed)
has one row per loan, its fields modelled on the World Bank's IBRD Statement of Loans and
Guarantees (World Bank Finances One, dataset "IBRD Statement of Loans and Guarantees -
Historical Data"): loan number, borrower, country, sector (the project's), original
principal amount, cancelled amount, currency of commitment, board approval, agreement
signing, effective and closing dates, first and last repayment dates, and the interest
(here a spread over the six-month USD reference rate, `reference_rate` names it; the
statement's "interest rate"). Added to it, as a lender's loan master has them: the grace
period, the amortisation (equal semi-annual instalments of principal) and the balances
brought forward at the window's start (`disbursed_before_window`, `repaid_before_window`),
and a restructuring's date and new last repayment date.
The statement's amounts to date (disbursed, undisbursed, repaid, due, the borrower's
obligation) and its loan status are not delivered: dbt derives them from the balances
brought forward and the transactions, so the file and the ledger cannot disagree.

The opening book: loans first disbursed in the 25 years before the window that still
have a balance in it, so that the window sees a lender that has lent for decades and not
one that starts empty in January 2019. It is modelled on a regional development bank of
CABEI's size (Central American Bank for Economic Integration, whose loan portfolio was of
the order of USD 10-14 billion in 2019-2024, its disbursements USD 2-3 billion a year):
at the default size, some 2,100 loans in the book at the window's start, USD 13.9 billion
outstanding, USD 2.3-2.8 billion disbursed a year through about 300 disbursements, and
principal repaid of 54-60% of what is disbursed (interest 4% of the book in 2019, over 6%
in 2023). Its lending grew about 3% a year before 2019; loans still in their grace period
in January 2019 may disburse their last tranche in the window. `--transactions` scales
the number of loans, opening book included.

Arrears: a payment that fails is collected with the next one (interest and principal in
arrears are due again then), so it is caught up six months later. A few loans default
(about 6% over a loan's life, more in riskier countries and sectors): the borrower stops
paying, and at the next payment date, 180 days past due, the loan is either restructured
(RESTRUCTURING_DAYS_PAST_DUE: the balance, principal in arrears included, is rescheduled
in equal instalments to a last repayment date two years later than the original, the
interest in arrears collected with the first new instalment; the file records the date
and the new last repayment date) or, after one more missed payment, 360 days past due
(WRITE_OFF_DAYS_PAST_DUE), written off: a `write_off` transaction for the outstanding
principal, after which the loan pays nothing more. Interest in arrears is not written off:
it was never booked as income (cash basis). A write-off is a book entry, not a payment
attempt: it is not in the payment success rate (seeds/transaction_types.csv).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lending.generator.periods import FIRST_TRANSACTION_MONTH
from lending.generator.profiles import COUNTRIES, SECTORS
from lending.generator.schemas import decimal_from_cents, dictionary, source_schema

LOAN_SCHEMA = source_schema("loans", categories=("country_code", "sector_code"))

COMPLETED = 0  # the transaction status codes' first: see transactions.py
MONTHS_PER_PERIOD = 6  # loans are serviced semi-annually
# A loan with no disbursement in the window (the opening book's fully disbursed loans).
NO_DISBURSEMENT = -1
NO_DISTRESS, RESTRUCTURED, WRITTEN_OFF = range(3)
# Days past due of the first missed payment when the bank acts: the next payment date
# (180 days) restructures, the one after (360 days) writes off. In periods, the outcome's
# code says how many payment dates after the first missed one the loan's fate is sealed.
RESTRUCTURING_DAYS_PAST_DUE = 180
WRITE_OFF_DAYS_PAST_DUE = 360
RESTRUCTURING_EXTENSION_PERIODS = 4  # two years more to repay
# Every loan is committed in US dollars, at a spread over the six-month USD rate.
COMMITMENT_CURRENCY = "USD"
REFERENCE_RATE = "USD 6M LIBOR / term SOFR"
AMORTISATION = "equal_principal"
# Repayments fall due on the 15th of their month.
DUE_DAY = 15
COUNTRY_CODES = tuple(c.code for c in COUNTRIES)
SECTOR_CODES = tuple(s.code for s in SECTORS)


@dataclass
class Loans:
    """Loans as numpy columns: the opening book first, then in disbursement (time) order."""

    month: np.ndarray  # month position of the first disbursement (negative: before the window)
    disbursement_month: np.ndarray  # month position of its disbursement in the window
    country: np.ndarray
    sector: np.ndarray
    borrower_number: np.ndarray
    principal_usd: np.ndarray  # what the loan disburses in all: commitment less cancelled
    cancelled_usd: np.ndarray
    disbursed_before_usd: np.ndarray  # brought forward at the window's start
    repaid_before_usd: np.ndarray
    spread_pct: np.ndarray
    grace_periods: np.ndarray  # half-years of interest only
    periods: np.ndarray  # half-years to maturity
    status: np.ndarray  # of the disbursement in the window (completed when there is none)
    transaction_at: np.ndarray  # of the disbursement in the window
    first_disbursed_at: np.ndarray
    distress_period: np.ndarray  # the first payment the borrower misses, 0 if none
    outcome: np.ndarray  # NO_DISTRESS, RESTRUCTURED or WRITTEN_OFF
    approval_date: np.ndarray
    signing_date: np.ndarray
    effective_date: np.ndarray
    closing_date: np.ndarray

    def __len__(self) -> int:
        return len(self.month)

    def take(self, rows: np.ndarray | slice) -> Loans:
        return Loans(**{name: values[rows] for name, values in vars(self).items()})

    def head(self, n: int) -> Loans:
        return self.take(slice(0, n))

    @staticmethod
    def concatenate(parts: list[Loans]) -> Loans:
        names = Loans.__dataclass_fields__
        return Loans(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})

    @property
    def in_book(self) -> np.ndarray:
        """Loans with money out: disbursed before the window, or in it successfully."""
        return (self.disbursed_before_usd > 0) | (self.status == COMPLETED)

    @property
    def disbursement_usd(self) -> np.ndarray:
        """What the disbursement in the window pays out."""
        return self.principal_usd - self.disbursed_before_usd

    @property
    def event_period(self) -> np.ndarray:
        """The payment date the loan is restructured or written off at (0: never)."""
        return np.where(self.outcome == NO_DISTRESS, 0, self.distress_period + self.outcome)

    @property
    def restructured_periods(self) -> np.ndarray:
        """Instalments of the new schedule after a restructuring."""
        return self.periods - self.event_period + RESTRUCTURING_EXTENSION_PERIODS

    @property
    def last_period(self) -> np.ndarray:
        """The loan's last payment date with a transaction, as a period."""
        event = self.event_period
        return np.select(
            [self.outcome == RESTRUCTURED, self.outcome == WRITTEN_OFF],
            [event + self.restructured_periods, event],
            self.periods,
        )

    def rows_at(self, k: int) -> np.ndarray:
        """Transactions each loan brings at its k-th payment date: interest, and principal
        after the grace period; none at a restructuring, two on its new schedule, one (the
        write-off) at a write-off."""
        event = self.event_period
        normal = 1 + (k > self.grace_periods)
        rows = np.select(
            [(self.outcome == NO_DISTRESS) | (k < event), self.outcome == WRITTEN_OFF, k == event],
            [normal, 1, 0],
            2,
        )
        return np.where((k <= self.last_period) & self.in_book, rows, 0)

    def transactions_until(self, last: int) -> np.ndarray:
        """Rows each loan brings from the window's start up to month position `last`."""
        disbursed = (self.disbursement_month >= 0) & (self.disbursement_month <= last)
        rows = disbursed.astype(np.int64)
        for k in range(1, int(self.last_period.max(initial=0)) + 1):
            due_month = self.month + MONTHS_PER_PERIOD * k
            rows += np.where((due_month >= 0) & (due_month <= last), self.rows_at(k), 0)
        return rows


def due_date(position: np.ndarray) -> np.ndarray:
    """The payment date of a month position: the 15th of the month."""
    first_days = (FIRST_TRANSACTION_MONTH + position.astype("timedelta64[M]")).astype(
        "datetime64[D]"
    )
    return first_days + (DUE_DAY - 1)


def _dates(dates: np.ndarray, shown: np.ndarray | None = None) -> pa.Array:
    """A date column, null where `shown` is false."""
    mask = None if shown is None else ~shown
    return pa.array(dates.astype("datetime64[D]"), pa.date32(), mask=mask)


def _usd(amounts: np.ndarray) -> pa.Array:
    return decimal_from_cents(np.round(amounts * 100).astype(np.int64))


def loans_table(loans: Loans, last: int) -> pa.Table:
    """The loans file as at the end of month position `last`: every loan of the plan up
    to then, numbered in plan order (loan_id = position + 1), with a restructuring shown
    once its date has passed."""
    event = loans.event_period
    restructured = (loans.outcome == RESTRUCTURED) & (
        loans.month + MONTHS_PER_PERIOD * event <= last
    )
    first_repayment = due_date(loans.month + MONTHS_PER_PERIOD * (loans.grace_periods + 1))
    columns = {
        "loan_id": pa.array(np.arange(1, len(loans) + 1, dtype=np.int64)),
        "borrower_id": pa.array(loans.borrower_number.astype(np.int64)),
        "country_code": dictionary(loans.country, COUNTRY_CODES),
        "sector_code": dictionary(loans.sector, SECTOR_CODES),
        "original_principal_amount": _usd(loans.principal_usd + loans.cancelled_usd),
        "cancelled_amount": _usd(loans.cancelled_usd),
        "currency_code": pa.array([COMMITMENT_CURRENCY] * len(loans), pa.string()),
        "board_approval_date": _dates(loans.approval_date),
        "agreement_signing_date": _dates(loans.signing_date),
        "effective_date": _dates(loans.effective_date),
        "closing_date": _dates(loans.closing_date),
        "grace_period_months": pa.array((MONTHS_PER_PERIOD * loans.grace_periods).astype(np.int16)),
        "first_repayment_date": _dates(first_repayment),
        "last_repayment_date": _dates(due_date(loans.month + MONTHS_PER_PERIOD * loans.periods)),
        "amortisation_type": pa.array([AMORTISATION] * len(loans), pa.string()),
        "reference_rate": pa.array([REFERENCE_RATE] * len(loans), pa.string()),
        "spread_pct": pa.array(loans.spread_pct.astype(np.float64)),
        "disbursed_before_window": _usd(loans.disbursed_before_usd),
        "repaid_before_window": _usd(loans.repaid_before_usd),
        "restructured_date": _dates(
            due_date(loans.month + MONTHS_PER_PERIOD * event), restructured
        ),
        "restructured_last_repayment_date": _dates(
            due_date(loans.month + MONTHS_PER_PERIOD * loans.last_period), restructured
        ),
    }
    return pa.table(list(columns.values()), schema=LOAN_SCHEMA)
