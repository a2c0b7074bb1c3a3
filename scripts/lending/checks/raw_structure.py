"""Check the raw Parquet folder's structure before dbt reads it.

Row-level defects (a bad code, a duplicate) are dbt's job: those rows are quarantined.
Structural defects are not: a corrupt or truncated file, a missing, renamed or retyped
column, an empty partition or a stray file would make the build fail half-way or, worse,
read wrong data. This check finds them first, names the file and column and says what to
do.

dbt runs this check itself, before any model, in an on-run-start hook
(macros/checks/check_raw_structure.sql): the dbt-duckdb plugin in lending.checks.dbt_plugin
makes `problems` callable from SQL, with the tables as dbt parsed them from
models/staging/bank/_bank__sources.yml. So a bare `dbt build` stops on a broken delivery
with the marts unchanged, as `make build` does. `lending-check-raw` runs the same check on
its own, from the same YAML, to vet a delivery before building.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from lending import cli
from lending.settings import PROJECT_ROOT, SOURCES_YAML, raw_data_path

# ASCII digits only: `\d` also matches other scripts' digits (full-width ones, U+FF10 to
# U+FF19, among others), which engines parse differently or not at all.
PARTITION_LEVELS = {"year": r"year=[0-9]{4}", "month": r"month=(0[1-9]|1[0-2])"}
REGENERATE = "regenerate the sample data with `make generate`, or have the file re-delivered"


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, str]  # column name -> its type, normalised for comparing with Parquet
    partition_columns: tuple[str, ...]
    declared: dict[str, str]  # column name -> SQL type as declared in the sources YAML


def load_tables(sources_yaml: Path = SOURCES_YAML) -> list[Table]:
    """The source tables, their file columns and their partition columns."""
    document = yaml.safe_load(sources_yaml.read_text())
    tables = []
    for source in document["sources"]:
        for table in source["tables"]:
            partitions = table.get("config", {}).get("meta", {}).get("partition_types", {})
            partition_columns = tuple(partitions)
            declared = {
                column["name"]: column["data_type"]
                for column in table["columns"]
                if column["name"] not in partition_columns
            }
            columns = {name: declared_type(data_type) for name, data_type in declared.items()}
            tables.append(Table(table["name"], columns, partition_columns, declared))
    return tables


def tables_from_json(text: str) -> list[Table]:
    """Tables as the dbt hook passes them: [{"name", "columns": {name: type},
    "partition_columns": [...]}], types as declared in the sources YAML."""
    return [
        Table(
            table["name"],
            {name: declared_type(data_type) for name, data_type in table["columns"].items()},
            tuple(table["partition_columns"]),
            dict(table["columns"]),
        )
        for table in json.loads(text)
    ]


def problems(root: Path, tables: list[Table]) -> list[str]:
    """Every structural problem of the raw folder, one sentence each; empty when fine."""
    if not root.is_dir():
        return [f"{root}: folder not found; {REGENERATE}"]
    return lake_problems(LocalFolder(root), tables)


def lake_problems(lake: Lake, tables: list[Table]) -> list[str]:
    """Every structural problem of a lake (a folder or an S3 prefix), one sentence each."""
    found: list[str] = []
    for table in tables:
        found += check_table(lake, table)[0]
    return found


class Lake(Protocol):
    """Where the deliveries are: a folder per table, partition folders below it."""

    def place(self, *parts: str) -> str:
        """How a problem names the folder or file at these parts below the lake."""

    def walk(self, table: str) -> Iterator[tuple[tuple[str, ...], list[str], list[str]]]:
        """Top-down like os.walk, below the table's folder: (parts below it, its folders,
        its file names); clearing the folders list skips them. Nothing if it is missing."""

    def open(self, *parts: str) -> Any:
        """The file at these parts, for pyarrow to read (a path or a binary file)."""


@dataclass(frozen=True)
class LocalFolder:
    root: Path

    def place(self, *parts: str) -> str:
        return str(self.root.joinpath(*parts))

    def walk(self, table: str) -> Iterator[tuple[tuple[str, ...], list[str], list[str]]]:
        folder = self.root / table
        for directory, subdirectories, names in os.walk(folder):
            yield Path(directory).relative_to(folder).parts, subdirectories, names

    def open(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)


class S3Object(io.RawIOBase):
    """An S3 object as a seekable binary file, each read one ranged GET with the bucket's
    expected owner: pyarrow reads a Parquet file's footer, never the whole file."""

    def __init__(self, client: Any, bucket: str, key: str, size: int, owner: dict) -> None:
        self.client, self.bucket, self.key, self.size, self.owner = client, bucket, key, size, owner
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, start + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        end = min(self.position + len(buffer), self.size)
        if end <= self.position:
            return 0
        response = self.client.get_object(
            Bucket=self.bucket,
            Key=self.key,
            Range=f"bytes={self.position}-{end - 1}",
            **self.owner,
        )
        data = response["Body"].read()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


class S3Prefix:
    """A lake on S3: s3://bucket/prefix, listed once; every request names the bucket's
    expected owner (BANK_LAKE_BUCKET_OWNER), so a bucket of the same name in another
    account is never read."""

    def __init__(self, uri: str, client: Any = None) -> None:
        from lending.publish.s3 import _client, owner_arguments, split_s3_uri

        self.uri = uri.rstrip("/")
        self.bucket, self.prefix = split_s3_uri(uri)
        self.owner = owner_arguments()
        self.client = client or _client()
        # parts below the prefix -> the object's size; folder markers ("x/") are folders.
        self.tree: dict = {}
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/", **self.owner)
        for page in pages:
            for item in page.get("Contents", []):
                *folders, name = item["Key"][len(self.prefix) + 1 :].split("/")
                node = self.tree
                for folder in folders:
                    node = node.setdefault(folder, {})
                if name:
                    node[name] = item["Size"]

    def place(self, *parts: str) -> str:
        return "/".join((self.uri, *parts))

    def walk(self, table: str) -> Iterator[tuple[tuple[str, ...], list[str], list[str]]]:
        node = self.tree.get(table)
        if isinstance(node, dict):
            yield from self._walk(node, (table,), ())

    def _walk(self, node: dict, above: tuple[str, ...], parts: tuple[str, ...]) -> Iterator:
        folders = sorted(name for name, child in node.items() if isinstance(child, dict))
        names = sorted(name for name, child in node.items() if not isinstance(child, dict))
        yield parts, folders, names
        for folder in folders:
            yield from self._walk(node[folder], above, (*parts, folder))

    def open(self, *parts: str) -> S3Object:
        node: Any = self.tree
        for part in parts:
            node = node[part]
        key = "/".join((self.prefix, *parts))
        return S3Object(self.client, self.bucket, key, node, self.owner)


# Spellings of the same type in the sources YAML (written to suit Redshift too).
TYPE_SYNONYMS = {
    "doubleprecision": "double",
    "float8": "double",
    "int8": "bigint",
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "bool": "boolean",
    "timestampwithouttimezone": "timestamp",
}


def declared_type(data_type: str) -> str:
    """A declared column type in the vocabulary of sql_type: Parquet strings have no
    length, so varchar(3) is checked as varchar; numeric(p,s) is decimal(p,s)."""
    compact = data_type.lower().replace(" ", "")
    compact = re.sub(r"^(varchar|character varying)\(\d+\)$", "varchar", compact)
    compact = re.sub(r"^numeric\(", "decimal(", compact)
    return TYPE_SYNONYMS.get(compact, compact)


def sql_type(arrow_type: pa.DataType) -> str:
    """The SQL type a Parquet column reads as, in the sources YAML's vocabulary."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "varchar"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp" if arrow_type.tz is None else "timestamptz"
    return {
        pa.int64(): "bigint",
        pa.int32(): "integer",
        pa.int16(): "smallint",
        pa.float64(): "double",
        pa.float32(): "float",
        pa.date32(): "date",
        pa.bool_(): "boolean",
    }.get(arrow_type, str(arrow_type))


def check_table(lake: Lake | Path, table: Table) -> tuple[list[str], int, int]:
    """Problems found under the table's folder, with the files and rows that are fine."""
    lake = LocalFolder(lake) if isinstance(lake, Path) else lake
    layout = [PARTITION_LEVELS[c] for c in table.partition_columns]
    named = "/".join(p.replace("[0-9]{4}", "YYYY").replace("(0[1-9]|1[0-2])", "MM") for p in layout)
    problems: list[str] = []
    files = rows = 0
    walked = False
    for parts, subdirectories, names in lake.walk(table.name):
        walked = True
        here = lake.place(table.name, *parts)
        depth = len(parts)
        if depth > len(layout):
            problems.append(
                f"{here}: unexpected folder; partitions of {table.name} are named {named}, "
                f"with the Parquet files directly in them and no folder below: move its "
                "files up or remove it"
            )
            subdirectories.clear()
            continue
        if depth and not re.fullmatch(layout[depth - 1], parts[-1]):
            problems.append(
                f"{here}: unexpected folder; partitions of {table.name} are named {named}: "
                "rename or remove it"
            )
            subdirectories.clear()
            continue
        for name in sorted(names):
            path = lake.place(table.name, *parts, name)
            if depth != len(layout) or not name.endswith(".parquet"):
                problems.append(
                    f"{path}: stray file; only Parquet files belong in the partition "
                    f"folders of {table.name}: move it out of the data folder"
                )
                continue
            problem, file_rows = check_file(path, table, lake.open(table.name, *parts, name))
            if problem:
                problems.append(problem)
            else:
                files += 1
                rows += file_rows
        if depth == len(layout) and not any(n.endswith(".parquet") for n in names):
            problems.append(
                f"{here}: empty partition, no Parquet file in it; re-deliver that "
                "partition or remove the folder"
            )
    if not walked:
        return [f"{lake.place(table.name)}: folder missing; {REGENERATE}"], 0, 0
    if not problems and files == 0:
        problems.append(f"{lake.place(table.name)}: no Parquet files; {REGENERATE}")
    return problems, files, rows


def check_file(path: str | Path, table: Table, source: Any = None) -> tuple[str | None, int]:
    """One problem with the file (the first found), or None, and its row count; `source`
    is what pyarrow reads (the path itself by default, an S3 object's reader)."""
    try:
        with pq.ParquetFile(path if source is None else source) as parquet:
            metadata, schema = parquet.metadata, parquet.schema_arrow
    except (pa.ArrowInvalid, OSError) as error:
        return (
            f"{path}: cannot be read as Parquet ({error}); the file is corrupt or "
            f"truncated: {REGENERATE}",
            0,
        )
    if metadata.num_rows == 0:
        return f"{path}: the file has no rows; re-deliver it or remove it", 0
    found = {field.name: sql_type(field.type) for field in schema}
    missing = [c for c in table.columns if c not in found]
    extra = [c for c in found if c not in table.columns]
    if missing:
        hint = f" (the file has {', '.join(extra)} instead: renamed?)" if extra else ""
        return (
            f"{path}: column {', '.join(missing)} missing{hint}; the {table.name} source "
            f"expects {', '.join(table.columns)}: re-deliver the file with those columns",
            0,
        )
    if extra:
        return (
            f"{path}: unexpected column {', '.join(extra)}; declare it in "
            f"{SOURCES_YAML.relative_to(PROJECT_ROOT)} if it is a new field, or "
            "re-deliver the file without it",
            0,
        )
    for column, expected in table.columns.items():
        if found[column] != expected:
            return (
                f"{path}: column {column} is {found[column]}, expected {expected}; "
                "the type changed upstream: re-deliver the file with the declared type, "
                "or change the source declaration and the staging model together",
                0,
            )
    return None, metadata.num_rows


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("lending-check-raw", __doc__)
    parser.add_argument(
        "raw_data",
        nargs="?",
        default=str(raw_data_path()),
        help="the raw data: a folder, or s3://bucket/prefix (the lake; needs "
        "BANK_LAKE_BUCKET_OWNER, and AWS credentials from the standard configuration) "
        "(default: $BANK_RAW_DATA_PATH or data/raw)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    args = parser.parse_args(argv)
    if args.raw_data.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        from lending.generator.dataset import DatasetError

        try:
            lake: Lake = S3Prefix(args.raw_data)
            return report(parser.prog, args, lake)
        except DatasetError as error:
            return cli.fail(parser.prog, error)
        except (BotoCoreError, ClientError) as error:
            return cli.fail(parser.prog, f"cannot read {args.raw_data}: {error}")
    if not Path(args.raw_data).is_dir():
        return cli.fail(parser.prog, f"{args.raw_data} not found; {REGENERATE}")
    return report(parser.prog, args, LocalFolder(Path(args.raw_data)))


def report(prog: str, args: Any, lake: Lake) -> int:
    found: list[str] = []
    files = rows = 0
    for table in load_tables():
        table_problems, table_files, table_rows = check_table(lake, table)
        found += table_problems
        files += table_files
        rows += table_rows
    if found:
        print(f"{prog}: {len(found)} structural problem(s) in {args.raw_data}:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"Raw data structure OK: {files} Parquet files, {rows:,} rows in {args.raw_data}.")
    return 0
