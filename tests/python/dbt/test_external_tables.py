"""The external tables the run-operation creates match the Parquet the generator writes:
same columns in the same order (Spectrum can map Parquet by position or by name), types
that read those Parquet types, strings that fit their declared lengths, and partition
columns that are the folder keys, not file columns."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
import yaml

from conftest import PROJECT_ROOT

SOURCES = yaml.safe_load(
    (PROJECT_ROOT / "models" / "staging" / "bank" / "_bank__sources.yml").read_text()
)["sources"][0]["tables"]


def redshift_type_reads(arrow: pa.DataType, declared: str) -> bool:
    """Whether a Spectrum column of type `declared` reads Parquet of type `arrow`."""
    declared = declared.replace(" ", "").lower()
    if pa.types.is_dictionary(arrow):
        arrow = arrow.value_type
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return declared.startswith("varchar(")
    if pa.types.is_decimal(arrow):
        return declared in (
            f"decimal({arrow.precision},{arrow.scale})",
            f"numeric({arrow.precision},{arrow.scale})",
        )
    simple = {
        pa.int16(): {"smallint"},
        pa.int32(): {"integer", "int"},
        pa.int64(): {"bigint"},
        pa.float64(): {"doubleprecision", "float8"},
        pa.date32(): {"date"},
    }
    if pa.types.is_timestamp(arrow):
        return declared == "timestamp"
    return declared in simple.get(arrow, set())


@pytest.mark.parametrize("table", SOURCES, ids=lambda table: table["name"])
def test_declared_columns_match_the_parquet(table: dict, default_dataset: Path) -> None:
    partitions = list(table["config"]["meta"]["partition_types"])
    columns = [c for c in table["columns"] if c["name"] not in partitions]
    files = sorted((default_dataset / table["name"]).rglob("*.parquet"))
    data = ds.dataset(files, format="parquet").to_table()

    assert [c["name"] for c in columns] == data.schema.names
    for column in columns:
        arrow = data.schema.field(column["name"]).type
        assert redshift_type_reads(arrow, column["data_type"]), (column["name"], arrow)
        if column["data_type"].startswith("varchar("):
            length = int(column["data_type"][len("varchar(") : -1])
            longest = pc.max(pc.binary_length(data[column["name"]].cast(pa.string()))).as_py()
            assert longest <= length, (column["name"], longest, length)

    # The partition columns come from the folder names, in the declared order.
    folder_keys = [part.split("=")[0] for part in files[0].relative_to(default_dataset).parts[1:-1]]
    assert folder_keys == partitions
