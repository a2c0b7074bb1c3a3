"""A dbt-duckdb plugin (profiles.yml, `plugins:`) that hands each DuckDB cursor dbt opens
the padded keys of the borrower pseudonyms' HMAC (lending.pseudonyms), as session
variables: a session variable lives in its connection only, never in the database file,
and dbt-duckdb gives each thread a cursor of its own, which starts without them.

The key is checked when the plugin loads, so a weak key stops dbt before any SQL runs.
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from lending.pseudonyms import DUCKDB_VARIABLES, KEY_VARIABLE, checked_key, padded_keys


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._padded = padded_keys(checked_key(os.environ.get(KEY_VARIABLE), engine="duckdb"))

    def configure_cursor(self, cursor: Any) -> None:
        for name, value in zip(DUCKDB_VARIABLES, self._padded, strict=True):
            cursor.execute(f"set variable {name} = ?", [value])
