"""Where things are: every path and default the project's Python shares, in one place.

Each setting can be overridden by the environment variable dbt itself reads (the
Makefile exports the same names), so the Python and dbt always agree on the files.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

# The repository: the dbt project, the seeds and the sources YAML live here. The package
# is installed in editable mode from scripts/, so its source tree is the repository's.
PROJECT_ROOT = Path(os.environ.get("DBT_PROJECT_DIR") or Path(__file__).resolve().parents[2])

DEFAULT_DUCKDB_PATH = Path("data/lending_research.duckdb")
DEFAULT_RAW_DATA_PATH = Path("data/raw")
DEFAULT_TARGET_PATH = Path("target")
SOURCES_YAML = PROJECT_ROOT / "models" / "staging" / "bank" / "_bank__sources.yml"


def duckdb_path() -> Path:
    """The DuckDB warehouse file dbt builds (the `dev` target's path)."""
    return Path(os.environ.get("DBT_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)


def raw_data_path() -> Path:
    """The folder of raw Parquet deliveries dbt's sources read."""
    return Path(os.environ.get("BANK_RAW_DATA_PATH") or DEFAULT_RAW_DATA_PATH)


def target_path() -> Path:
    """dbt's artifacts folder (manifest.json, run_results.json)."""
    return Path(os.environ.get("DBT_TARGET_PATH") or DEFAULT_TARGET_PATH)


def path_option(flag: str, what: str) -> argparse.ArgumentParser:
    """One of the files above as a command's option, a parent parser (argparse's
    `parents=`), so that every command names, defaults and explains it alike: `--database`
    (the warehouse), `--raw-data` (the deliveries) or `--run-results` (dbt's last command);
    `what` says what the command reads it as (e.g. "DuckDB file with the marts")."""
    default, where = {
        "--database": (duckdb_path(), f"$DBT_DUCKDB_PATH or {DEFAULT_DUCKDB_PATH}"),
        "--raw-data": (raw_data_path(), f"$BANK_RAW_DATA_PATH or {DEFAULT_RAW_DATA_PATH}"),
        "--run-results": (
            target_path() / "run_results.json",
            f"run_results.json in $DBT_TARGET_PATH or {DEFAULT_TARGET_PATH}/",
        ),
    }[flag]
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(flag, type=Path, default=default, help=f"{what} (default: {where})")
    return parent


def public_marts(manifest: Path | None = None) -> list[str]:
    """The marts analysts query, as dbt's manifest lists them: every model with public
    access, in name order. Read from the manifest so a new mart needs no list updated."""
    document = json.loads((manifest or target_path() / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in document["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    )


def public_mart_schemas(manifest: Path | None = None) -> dict[str, str]:
    """Each public mart's schema (where it is published), from the manifest: most are in
    the target schema, the quarantine marts in a schema of their own."""
    document = json.loads((manifest or target_path() / "manifest.json").read_text())
    return {
        node["name"]: node["schema"]
        for node in document["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    }


def model_relations(manifest: Path | None = None) -> dict[str, str]:
    """Each model's relation as dbt names it (e.g. "lending_research"."main"."fct_x"), from
    the manifest: the schema of each layer is dbt's to decide, not the Python's."""
    document = json.loads((manifest or target_path() / "manifest.json").read_text())
    return {
        node["name"]: node["relation_name"]
        for node in document["nodes"].values()
        if node["resource_type"] == "model" and node.get("relation_name")
    }
