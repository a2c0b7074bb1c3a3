"""Row-level defects injected on purpose (`--defect-rate`), and the record of each one.

Every injected defect is one of the rejection reasons the dbt validation layer assigns
(`seeds/rejection_reasons.csv`), and is placed so that it triggers exactly that reason and
nothing else: defects go only into rows whose change cannot spill over onto other rows
(payments rather than the disbursements that create loans, indicators other than exchange
rates, which every transaction depends on). The record lists the file and row number of
each defective row with the reason it must be rejected for, so tests can check that
every injected row is quarantined for the right reason and every clean row is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Kinds injected into individual transaction rows, in the order they are dealt out.
TRANSACTION_ROW_DEFECTS: tuple[str, ...] = (
    "missing_transaction_id",
    "missing_loan_id",
    "missing_borrower_id",
    "missing_country_code",
    "missing_transaction_at",
    "missing_amount",
    "duplicate_transaction_id",
    "non_positive_amount",
    "absurd_amount",
    "unknown_country",
    "unknown_sector",
    "unknown_transaction_type",
    "unknown_status",
    "currency_mismatch",
    "future_timestamp",
    "before_data_start",
    "outside_partition",
    "unknown_loan",
    "loan_never_disbursed",
    "loan_mismatch",
)
# Removing a country-month's exchange rate rejects every transaction of that month there.
MISSING_EXCHANGE_RATE = "missing_exchange_rate"
TRANSACTION_DEFECTS = (*TRANSACTION_ROW_DEFECTS, MISSING_EXCHANGE_RATE)

INDICATOR_DEFECTS: tuple[str, ...] = (
    "duplicate_indicator",
    "missing_country_code",
    "unknown_country",
    "unknown_indicator",
    "missing_value",
    "value_out_of_range",
    "unit_mismatch",
)

DEMOGRAPHIC_DEFECTS: tuple[str, ...] = (
    "duplicate_country_year",
    "unknown_country",
    "population_not_positive",
    "percentage_out_of_range",
)

# Never in the columns the transactions are checked against (loan_id, country, sector,
# the balance brought forward), so that no payment of the loan is rejected with it: a
# duplicate is an exact copy delivered after the first, which is the one that counts.
LOAN_DEFECTS: tuple[str, ...] = (
    "duplicate_loan_id",
    "non_positive_commitment",
    "cancelled_exceeds_commitment",
    "dates_out_of_order",
)

# Values no validation rule accepts.
UNKNOWN_COUNTRY = "VEN"  # Venezuela: not a country the bank lends in
UNKNOWN_SECTOR = "MIN"
UNKNOWN_TRANSACTION_TYPE = "refund"
UNKNOWN_STATUS = "cancelled"
MISMATCHED_CURRENCY = "EUR"
UNKNOWN_INDICATOR = "money_supply"
UNKNOWN_LOAN = 9_000_000_000
ABSURD_AMOUNT_USD = 5_000_000_000
FUTURE_YEAR_START = np.datetime64("2099-01-01T00:00:00", "us")
BEFORE_DATA_START = np.datetime64("2015-01-01T00:00:00", "us")
MICROSECONDS_PER_DAY = 86_400 * 1_000_000
# Out of every indicator's plausible range (seeds/indicator_catalogue.csv).
OUT_OF_RANGE_VALUE = 1e9
OUT_OF_RANGE_PERCENTAGE = 104.5  # a literacy rate over 100%

# The defects made by setting one column of their rows, in whichever dataset they are
# dealt out: to a value no rule accepts, or to null where a value is required.
SET_VALUES: dict[str, tuple[str, object]] = {
    "unknown_country": ("country_code", UNKNOWN_COUNTRY),
    "unknown_sector": ("sector_code", UNKNOWN_SECTOR),
    "unknown_transaction_type": ("transaction_type", UNKNOWN_TRANSACTION_TYPE),
    "unknown_status": ("status", UNKNOWN_STATUS),
    "currency_mismatch": ("currency_code", MISMATCHED_CURRENCY),
    "unknown_indicator": ("indicator_code", UNKNOWN_INDICATOR),
    "value_out_of_range": ("indicator_value", OUT_OF_RANGE_VALUE),
    "unit_mismatch": ("unit", "percent_of_gdp"),
    "percentage_out_of_range": ("literacy_rate_pct", OUT_OF_RANGE_PERCENTAGE),
}
NULLED_COLUMNS: dict[str, str] = {
    "missing_transaction_id": "transaction_id",
    "missing_loan_id": "loan_id",
    "missing_borrower_id": "borrower_id",
    "missing_country_code": "country_code",
    "missing_transaction_at": "transaction_at",
    "missing_amount": "amount",
    "missing_value": "indicator_value",
}


@dataclass(frozen=True)
class InjectedDefect:
    source_file: (
        str  # relative to the dataset root, e.g. transactions/year=2024/month=03/part-0.parquet
    )
    source_row_number: int  # 0-based position in that file
    rejection_reason: str


def defect_count(rate: float, rows: int) -> int:
    return round(rate * rows)


def _row_mask(n: int, rows: np.ndarray) -> pa.Array:
    """A boolean array of length `n`, true at `rows`."""
    flags = np.zeros(n, dtype=bool)
    flags[rows] = True
    return pa.array(flags)


def _replace(column: pa.ChunkedArray | pa.Array, rows: np.ndarray, value: object) -> pa.Array:
    """`column` with `rows` set to `value` (None for null)."""
    if len(rows) == 0:
        return column
    return pc.if_else(_row_mask(len(column), rows), pa.scalar(value, column.type), column)


def _set_column(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, values)


def _set_values(table: pa.Table, rows: dict[str, np.ndarray]) -> pa.Table:
    """`table` with the rows of each of its SET_VALUES and NULLED_COLUMNS defects set."""
    nulled = {defect: (column, None) for defect, column in NULLED_COLUMNS.items()}
    for defect, (column, value) in (SET_VALUES | nulled).items():
        if defect in rows:
            table = _set_column(table, column, _replace(table[column], rows[defect], value))
    return table


def _with_records(
    table: pa.Table,
    rows: dict[str, np.ndarray],
    duplicate: str,
    records: list[tuple[int, str]],
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """The table with the rows of the `duplicate` kind re-sent (exact copies at its end,
    the first copy kept), and every (row, reason) pair, `records` included, in row order."""
    n = table.num_rows
    records = records + [
        (int(row), defect)
        for defect, defect_rows in rows.items()
        if defect != duplicate
        for row in defect_rows
    ]
    copies = rows[duplicate]
    records += [(n + i, duplicate) for i in range(len(copies))]
    table = pa.concat_tables([table, table.take(pa.array(copies, pa.int64()))])
    return table, sorted(records)


def _as_plain_strings(table: pa.Table) -> pa.Table:
    """Dictionary columns as plain strings, so any value (a bad code too) can be set."""
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            plain = pc.cast(table.column(index), pa.string())
            table = table.set_column(index, pa.field(field.name, pa.string()), plain)
    return table


def deal_kinds(
    rng: np.random.Generator,
    candidates: np.ndarray,
    count: int,
    kinds: tuple[str, ...],
    offset: int,
) -> dict[str, np.ndarray]:
    """Pick `count` distinct rows among `candidates` and deal the kinds out in turn."""
    count = min(count, len(candidates))
    chosen = np.sort(rng.choice(candidates, size=count, replace=False))
    dealt = (np.arange(count) + offset) % len(kinds)
    return {kind: chosen[dealt == index] for index, kind in enumerate(kinds)}


def _rows_with_a_loan_never_disbursed(
    rows: dict[str, np.ndarray],
    candidates: np.ndarray,
    country: np.ndarray,
    sector: np.ndarray,
    never_disbursed: dict[tuple[str, str], int],
) -> np.ndarray:
    """The loan_never_disbursed rows: those dealt whose country and sector have a loan
    never disbursed, and for each of the others the next spare payment (dealt no defect)
    that has one, so that a small dataset gets the defect too (none when no payment of
    the month has such a loan)."""
    dealt = rows["loan_never_disbursed"]
    has_loan = np.array(
        [(c, s) in never_disbursed for c, s in zip(country, sector, strict=True)], dtype=bool
    )
    taken = np.concatenate([np.asarray(chosen, np.int64) for chosen in rows.values()])
    spare = np.setdiff1d(candidates[has_loan[candidates]], taken)
    kept = dealt[has_loan[dealt]]
    return np.sort(np.concatenate([kept, spare[: len(dealt) - len(kept)]])).astype(np.int64)


def inject_transaction_defects(
    table: pa.Table,
    rng: np.random.Generator,
    rate: float,
    month_offset: int,
    local_per_usd: dict[str, float],
    rate_removed_for: frozenset[str],
    never_disbursed: dict[tuple[str, str], int],
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Defects for one month's transactions; returns the table and (row, reason) pairs.

    `local_per_usd` maps country code to the month's exchange rate (to make an amount
    absurd in USD); `rate_removed_for` lists the countries whose rate for this month was
    removed, every transaction of which must be rejected as missing_exchange_rate;
    `never_disbursed` maps (country, sector) to a loan in the loans file whose
    disbursement failed, where a loan_never_disbursed payment is pointed (a payment of
    a country and sector with none gets no such defect).
    """
    table = _as_plain_strings(table)
    n = table.num_rows
    country = np.asarray(table["country_code"].to_numpy(zero_copy_only=False))
    kind = np.asarray(table["transaction_type"].to_numpy(zero_copy_only=False))
    no_rate = np.isin(country, list(rate_removed_for))
    # Payments only: a broken disbursement would orphan the payments of its loan.
    candidates = np.flatnonzero((kind != "disbursement") & ~no_rate)
    rows = deal_kinds(rng, candidates, defect_count(rate, n), TRANSACTION_ROW_DEFECTS, month_offset)

    def put(column: str, values: pa.Array) -> None:
        nonlocal table
        table = _set_column(table, column, values)

    # Values first, while the columns hold no nulls; nulls last.
    loan = table["loan_id"].to_numpy().copy()
    unknown = rows["unknown_loan"]
    loan[unknown] = UNKNOWN_LOAN + month_offset * 1_000_000 + np.arange(len(unknown))
    sector = np.asarray(table["sector_code"].to_numpy(zero_copy_only=False))
    never = _rows_with_a_loan_never_disbursed(rows, candidates, country, sector, never_disbursed)
    rows["loan_never_disbursed"] = never
    target = [never_disbursed[(country[r], sector[r])] for r in never]
    loan[never] = np.array(target, np.int64)
    put("loan_id", pa.array(loan))
    # Another of the known sectors: the loan's is what the row should carry.
    mismatched = rows["loan_mismatch"]
    codes = sorted(set(sector))
    other = [codes[(codes.index(sector[r]) + 1) % len(codes)] for r in mismatched]
    sector[mismatched] = other
    put("sector_code", pa.array(sector, pa.string()))

    amount = pc.if_else(
        _row_mask(n, rows["non_positive_amount"]), pc.negate(table["amount"]), table["amount"]
    )
    absurd = rows["absurd_amount"]
    absurd_values = pa.array(
        [Decimal(f"{ABSURD_AMOUNT_USD * local_per_usd[country[row]]:.2f}") for row in absurd],
        pa.decimal128(18, 2),
    )
    put("amount", pc.replace_with_mask(amount, _row_mask(n, absurd), absurd_values))

    stamp = table["transaction_at"].to_numpy().astype("datetime64[us]")
    into_month = rng.integers(0, 28 * MICROSECONDS_PER_DAY, n).astype("timedelta64[us]")
    future, early = rows["future_timestamp"], rows["before_data_start"]
    stamp[future] = FUTURE_YEAR_START + into_month[future]
    stamp[early] = BEFORE_DATA_START + into_month[early]
    # Forty days on: a row booked in the following month but delivered in this file.
    stamp[rows["outside_partition"]] += np.timedelta64(40, "D")
    put("transaction_at", pa.array(stamp, pa.timestamp("us")))

    table = _set_values(table, rows)
    missing_rate = [(int(row), MISSING_EXCHANGE_RATE) for row in np.flatnonzero(no_rate)]
    return _with_records(table, rows, "duplicate_transaction_id", missing_rate)


def inject_indicator_defects(
    table: pa.Table, rng: np.random.Generator, rate: float, year_offset: int
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Defects for one year's economic indicators (never on exchange rates, which every
    transaction needs, except as exact duplicates, whose first copy is kept)."""
    n = table.num_rows
    indicator = np.asarray(table["indicator_code"].to_numpy(zero_copy_only=False))
    candidates = np.flatnonzero(indicator != "exchange_rate")
    rows = deal_kinds(
        rng, candidates, max(1, defect_count(rate, n)), INDICATOR_DEFECTS, year_offset
    )
    # public_debt is the one indicator already in percent_of_gdp
    mismatched = rows["unit_mismatch"]
    rows["unit_mismatch"] = mismatched[indicator[mismatched] != "public_debt"]
    return _with_records(_set_values(table, rows), rows, "duplicate_indicator", [])


def inject_demographic_defects(
    table: pa.Table, rng: np.random.Generator, rate: float, year_offset: int
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Defects for one year's demographics: one row a year whatever the rate, as a
    year has only ten rows (2% of them rounds to none)."""
    n = table.num_rows
    rows = deal_kinds(rng, np.arange(n), 1, DEMOGRAPHIC_DEFECTS, year_offset)
    population = table["population"].to_numpy(zero_copy_only=False).copy()
    population[rows["population_not_positive"]] *= -1
    table = _set_values(_set_column(table, "population", pa.array(population)), rows)
    return _with_records(table, rows, "duplicate_country_year", [])


def inject_loan_defects(
    table: pa.Table, rng: np.random.Generator, rate: float, year_offset: int
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Defects for one year's loans (by signing year): at least one a year."""
    table = _as_plain_strings(table)
    n = table.num_rows
    rows = deal_kinds(rng, np.arange(n), max(1, defect_count(rate, n)), LOAN_DEFECTS, year_offset)
    commitment = table["original_principal_amount"]
    negative = _row_mask(n, rows["non_positive_commitment"])
    table = _set_column(
        table, "original_principal_amount", pc.if_else(negative, pc.negate(commitment), commitment)
    )
    over = rows["cancelled_exceeds_commitment"]
    over_values = pa.array(
        [commitment[int(row)].as_py() + Decimal("1000.00") for row in over], pa.decimal128(18, 2)
    )
    cancelled = pc.replace_with_mask(table["cancelled_amount"], _row_mask(n, over), over_values)
    table = _set_column(table, "cancelled_amount", cancelled)
    # Approved a month after it was signed.
    approval = table["board_approval_date"].to_numpy(zero_copy_only=False).copy()
    signing = table["agreement_signing_date"].to_numpy(zero_copy_only=False)
    late = rows["dates_out_of_order"]
    approval[late] = signing[late] + np.timedelta64(30, "D")
    table = _set_column(table, "board_approval_date", pa.array(approval, pa.date32()))
    return _with_records(table, rows, "duplicate_loan_id", [])
