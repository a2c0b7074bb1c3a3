"""Load the generated Parquet into PostgreSQL's raw tables, the role COPY from S3 or
Spectrum plays on Redshift: PostgreSQL cannot read Parquet.

Each source table of models/staging/bank/_bank__sources.yml becomes <schema>_raw.<table>
with the declared column types, its partition columns (from the folder names) and each
row's address, `source_file` and `source_row_number`, as DuckDB reads them from the files.
Loading is partition by partition: `_loaded_partitions` records each file's checksum, a file
loaded before with the same checksum is skipped, a changed one replaced, a removed one
deleted, all in one transaction. The files' structure is checked first, as the DuckDB
build's on-run-start hook does; a broken delivery loads nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lending.checks import raw_structure
from lending.checks.raw_structure import Table

LOG_TABLE = "_loaded_partitions"
PARTITION_VALUE = re.compile(r"^(year|month)=([0-9]+)$")


class LoadError(Exception):
    """The delivery cannot be loaded; the message names the file and what to do."""


@dataclass
class Loaded:
    """What a load did, per table: files copied, skipped as unchanged, and removed."""

    copied: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def raw_schema(schema: str) -> str:
    """The schema the sources read on PostgreSQL (models/staging/bank/_bank__sources.yml)."""
    return f"{schema}_raw"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _partition_values(relative: Path) -> dict[str, int]:
    values = {}
    for part in relative.parts[1:-1]:
        match = PARTITION_VALUE.match(part)
        if match:
            values[match.group(1)] = int(match.group(2))
    return values


def _create_table(cursor: Any, schema: str, table: Table) -> None:
    columns = [f"{_quote(name)} {data_type}" for name, data_type in table.declared.items()]
    columns += [f"{_quote(name)} integer" for name in table.partition_columns]
    columns += ["source_file varchar(512) not null", "source_row_number bigint not null"]
    cursor.execute(
        f"create table if not exists {schema}.{_quote(table.name)} ({', '.join(columns)})"
    )


def _copy(cursor: Any, schema: str, table: Table, root: Path, relative: Path) -> int:
    """Copy one file's rows in; returns how many."""
    data = pq.read_table(root / relative)
    rows = data.num_rows
    partitions = _partition_values(relative)
    data = data.select(list(table.declared))
    for name in table.partition_columns:
        data = data.append_column(name, pa.array([partitions[name]] * rows, pa.int32()))
    data = data.append_column("source_file", pa.array([str(relative)] * rows, pa.string()))
    data = data.append_column("source_row_number", pa.array(range(rows), pa.int64()))
    buffer = io.BytesIO()
    pacsv.write_csv(data, buffer)
    buffer.seek(0)
    names = ", ".join(_quote(name) for name in data.column_names)
    cursor.copy_expert(
        f"copy {schema}.{_quote(table.name)} ({names}) from stdin with (format csv, header true)",
        buffer,
    )
    return rows


def load(connection: Any, root: Path, schema: str, tables: list[Table] | None = None) -> Loaded:
    """Load every source table under `root` into <schema>_raw; commit once at the end."""
    tables = tables if tables is not None else raw_structure.load_tables()
    problems = raw_structure.problems(root, tables)
    if problems:
        raise LoadError(
            f"{len(problems)} structural problem(s) in {root}; nothing was loaded:\n  - "
            + "\n  - ".join(problems)
        )
    target = _quote(raw_schema(schema))
    loaded = Loaded()
    with connection.cursor() as cursor:
        cursor.execute(f"create schema if not exists {target}")
        cursor.execute(
            f"create table if not exists {target}.{LOG_TABLE} (table_name varchar(64), "
            "source_file varchar(512), file_checksum varchar(64), row_count bigint, "
            "loaded_at timestamp default (now() at time zone 'utc'), "
            "primary key (table_name, source_file))"
        )
        for table in tables:
            _create_table(cursor, target, table)
            cursor.execute(
                f"select source_file, file_checksum from {target}.{LOG_TABLE} "
                "where table_name = %s",
                [table.name],
            )
            recorded = dict(cursor.fetchall())
            files = sorted(p.relative_to(root) for p in (root / table.name).rglob("*.parquet"))
            present = {str(relative) for relative in files}
            for relative in files:
                checksum = _checksum(root / relative)
                if recorded.get(str(relative)) == checksum:
                    loaded.unchanged[table.name] = loaded.unchanged.get(table.name, 0) + 1
                    continue
                _forget(cursor, target, table.name, str(relative))
                rows = _copy(cursor, target, table, root, relative)
                cursor.execute(
                    f"insert into {target}.{LOG_TABLE} "
                    "(table_name, source_file, file_checksum, row_count) values (%s, %s, %s, %s)",
                    [table.name, str(relative), checksum, rows],
                )
                loaded.copied[table.name] = loaded.copied.get(table.name, 0) + 1
            for gone in sorted(set(recorded) - present):
                _forget(cursor, target, table.name, gone)
                loaded.removed[table.name] = loaded.removed.get(table.name, 0) + 1
            cursor.execute(f"select count(*) from {target}.{_quote(table.name)}")
            loaded.rows[table.name] = cursor.fetchone()[0]
    connection.commit()
    return loaded


def _forget(cursor: Any, schema: str, table: str, source_file: str) -> None:
    """Remove one file's rows and its record."""
    cursor.execute(f"delete from {schema}.{_quote(table)} where source_file = %s", [source_file])
    cursor.execute(
        f"delete from {schema}.{LOG_TABLE} where table_name = %s and source_file = %s",
        [table, source_file],
    )
