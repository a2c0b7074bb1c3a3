"""The Arrow schemas of the files the generator writes: each source table's columns and
types as models/staging/bank/_bank__sources.yml declares them, the contract dbt and
lending-check-raw read the files by. Written once there, so the generator cannot drift
from it."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from lending.checks.raw_structure import load_tables

# The declared types (in raw_structure's vocabulary) the raw files use.
ARROW_TYPES = {
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "varchar": pa.string(),
}
# Low-cardinality strings are built as dictionary arrays; in the Parquet file they are
# ordinary string columns with dictionary encoding.
CATEGORY = pa.dictionary(pa.int8(), pa.string())


def arrow_type(declared: str) -> pa.DataType:
    if decimal := re.fullmatch(r"decimal\((\d+),(\d+)\)", declared):
        return pa.decimal128(int(decimal[1]), int(decimal[2]))
    if declared not in ARROW_TYPES:
        raise ValueError(f"no Arrow type for the declared type {declared!r}")
    return ARROW_TYPES[declared]


def source_schema(table: str, categories: tuple[str, ...] = ()) -> pa.Schema:
    """The file columns of a source table (its partition columns are folder names), with
    `categories` built as dictionary-encoded strings."""
    columns = next(source.columns for source in load_tables() if source.name == table)
    return pa.schema(
        [
            pa.field(name, CATEGORY if name in categories else arrow_type(declared))
            for name, declared in columns.items()
        ]
    )


def dictionary(codes: np.ndarray, values: tuple[str, ...]) -> pa.DictionaryArray:
    """A string column from small integer codes, without a Python object per row.

    Parquet stores it as a plain string column with dictionary encoding.
    """
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(values))


def decimal_from_cents(cents: np.ndarray) -> pa.Array:
    """Exact decimal(18, 2) from integer cents (no float rounding on the way)."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension into the high 64 bits
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )
