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

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

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
    found: list[str] = []
    for table in tables:
        found += check_table(root, table)[0]
    return found


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


def check_table(root: Path, table: Table) -> tuple[list[str], int, int]:
    """Problems found under root/<table>, with the files and rows that are fine."""
    folder = root / table.name
    if not folder.is_dir():
        return [f"{folder}: folder missing; {REGENERATE}"], 0, 0
    layout = [PARTITION_LEVELS[c] for c in table.partition_columns]
    problems: list[str] = []
    files = rows = 0
    for directory, subdirectories, names in os.walk(folder):
        here = Path(directory)
        depth = len(here.relative_to(folder).parts)
        if depth and not re.fullmatch(layout[depth - 1], here.name):
            problems.append(
                f"{here}: unexpected folder; partitions of {table.name} are named "
                + "/".join(
                    p.replace("[0-9]{4}", "YYYY").replace("(0[1-9]|1[0-2])", "MM") for p in layout
                )
                + ": rename or remove it"
            )
            subdirectories.clear()
            continue
        for name in sorted(names):
            path = here / name
            if depth != len(layout) or not name.endswith(".parquet"):
                problems.append(
                    f"{path}: stray file; only Parquet files belong in the partition "
                    f"folders of {table.name}: move it out of the data folder"
                )
                continue
            problem, file_rows = check_file(path, table)
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
    if not problems and files == 0:
        problems.append(f"{folder}: no Parquet files; {REGENERATE}")
    return problems, files, rows


def check_file(path: Path, table: Table) -> tuple[str | None, int]:
    """One problem with the file (the first found), or None, and its row count."""
    try:
        metadata = pq.ParquetFile(path).metadata
        schema = pq.read_schema(path)
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
        type=Path,
        default=raw_data_path(),
        help="the raw data folder (default: $BANK_RAW_DATA_PATH or data/raw)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    args = parser.parse_args(argv)
    if not args.raw_data.is_dir():
        return cli.fail(parser.prog, f"{args.raw_data} not found; {REGENERATE}")
    found: list[str] = []
    files = rows = 0
    for table in load_tables():
        table_problems, table_files, table_rows = check_table(args.raw_data, table)
        found += table_problems
        files += table_files
        rows += table_rows
    if found:
        print(
            f"lending-check-raw: {len(found)} structural problem(s) in {args.raw_data}:",
            file=sys.stderr,
        )
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"Raw data structure OK: {files} Parquet files, {rows:,} rows in {args.raw_data}.")
    return 0
