"""The generator's schemas are the sources YAML's: a declared type it has no Arrow type for
is an error that names the type, not a file written with a guess."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest

from lending.checks.raw_structure import load_tables
from lending.generator.schemas import arrow_type, source_schema


def test_each_schema_has_the_declared_file_columns_in_order() -> None:
    for table in load_tables():
        assert source_schema(table.name).names == list(table.columns)


def test_declared_types_map_to_their_arrow_types() -> None:
    assert arrow_type("decimal(18,2)") == pa.decimal128(18, 2)
    assert arrow_type("smallint") == pa.int16()
    assert source_schema("transactions", ("status",)).field("status").type == pa.dictionary(
        pa.int8(), pa.string()
    )


def test_a_type_without_an_arrow_type_is_named() -> None:
    with pytest.raises(ValueError, match="'jsonb'"):
        arrow_type("jsonb")


def test_the_fingerprint_changes_with_a_declared_type_only(monkeypatch) -> None:
    from lending.generator import dataset

    before = dataset.generator_fingerprint()
    tables = load_tables()
    assert dataset.generator_fingerprint() == before
    retyped = [replace(tables[0], declared={**tables[0].declared, "amount": "decimal(20,4)"})]
    monkeypatch.setattr(dataset, "load_tables", lambda: retyped + tables[1:])
    assert dataset.generator_fingerprint() != before
