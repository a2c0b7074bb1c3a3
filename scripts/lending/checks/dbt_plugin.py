"""A dbt-duckdb plugin (profiles.yml, `plugins:`) that gives the dbt project's DuckDB
connection one SQL function, `lending_raw_structure_problems(root, tables_json)`: the
structural problems of the raw Parquet folder, as a list of sentences (empty when the
folder is sound). The on-run-start hook calls it and stops the build on any problem.

A function rather than SQL over DuckDB's parquet_schema(), because SQL cannot see an empty
partition folder and fails on the first corrupt file with no advice; this reports every
problem, names the file and column, and says what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from lending.checks.raw_structure import problems, tables_from_json

FUNCTION_NAME = "lending_raw_structure_problems"


def raw_structure_problems(root: str, tables_json: str) -> list[str]:
    return problems(Path(root), tables_from_json(tables_json))


class Plugin(BasePlugin):
    def configure_connection(self, conn: Any) -> None:
        conn.create_function(
            FUNCTION_NAME, raw_structure_problems, ["VARCHAR", "VARCHAR"], "VARCHAR[]"
        )
