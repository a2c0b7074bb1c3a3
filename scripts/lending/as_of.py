"""What the data is as of, read from the warehouse: the latest month delivered (from
`dim_months`, with whether its quarter and year are still partial) and when the marts
were last published (the publication log of write-audit-publish).

The report prints it under its title; `lending-stamp-docs` (after `dbt docs generate`,
in `make docs`) writes it on the docs site's landing page, in place of the placeholder
sentence of models/_overview.md.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from lending import cli, settings

# The sentence of the landing page (models/_overview.md) the stamp replaces.
PLACEHOLDER = (
    "not stamped: `make docs` writes here the latest month delivered and when the marts "
    "were published."
)
# The docs site's files that carry the overview: the manifest, and the single-file site.
DOCS_FILES = ("manifest.json", "static_index.html")


class AsOfError(Exception):
    """A problem the user can fix; the message says how."""


@dataclass(frozen=True)
class AsOf:
    latest_month: date
    quarter_label: str
    is_quarter_complete: bool
    is_year_complete: bool
    published_at: datetime | None

    def partial_periods(self) -> list[str]:
        """The periods the latest month leaves partial, e.g. ['2024 Q3', '2024']."""
        return [
            label
            for label, complete in (
                (self.quarter_label, self.is_quarter_complete),
                (str(self.latest_month.year), self.is_year_complete),
            )
            if not complete
        ]

    def sentence(self) -> str:
        text = f"data to the end of {self.latest_month:%B %Y}, the latest month delivered"
        partial = self.partial_periods()
        if partial:
            text += f" ({' and '.join(partial)} {'are' if len(partial) > 1 else 'is'} partial)"
        if self.published_at is not None:
            text += f"; marts published {self.published_at:%-d %B %Y at %H:%M} UTC"
        return text + "."


def read_as_of(con: duckdb.DuckDBPyConnection, schema: str = "main") -> AsOf:
    """The as-of of the published marts in `schema` (their publication log is in
    <schema>_audit)."""
    latest = con.execute(
        f"select month_start_date, quarter_label, is_quarter_complete, is_year_complete "
        f"from {schema}.dim_months where is_latest_month"
    ).fetchone()
    if latest is None:
        raise AsOfError(f"{schema}.dim_months has no latest month; run `make run` first")
    logged = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = 'publication_log'",
        [f"{schema}_audit"],
    ).fetchone()[0]
    published = (
        con.execute(
            f"select max(published_at) from {schema}_audit.publication_log "
            "where mart = 'dim_months'"
        ).fetchone()[0]
        if logged
        else None
    )
    return AsOf(*latest, published_at=published)


def stamp_docs(target: Path, as_of: AsOf) -> list[Path]:
    """Put the as-of on the landing page of the docs site in `target`; returns the files
    changed. The overview is JSON text in each file, so the sentence is replaced JSON-encoded."""
    placeholder = json.dumps(PLACEHOLDER)[1:-1]
    stamp = json.dumps(f"{as_of.sentence()[0].upper()}{as_of.sentence()[1:]}")[1:-1]
    changed = []
    for name in DOCS_FILES:
        path = target / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if placeholder not in text:
            raise AsOfError(
                f"{path} has no as-of placeholder to stamp: regenerate the docs site "
                "(`dbt docs generate --static`) and stamp it once"
            )
        path.write_text(text.replace(placeholder, stamp), encoding="utf-8")
        changed.append(path)
    if not changed:
        raise AsOfError(f"no docs site in {target}; run `dbt docs generate --static` first")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lending-stamp-docs",
        description="Write what the data is as of on the docs site's landing page.",
        parents=[settings.path_option("--database", "DuckDB file with the published marts")],
    )
    parser.add_argument(
        "--target",
        type=Path,
        default=settings.target_path(),
        help="the docs site's folder, dbt's target (default: $DBT_TARGET_PATH or %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        if not args.database.exists():
            raise AsOfError(f"{args.database} not found; run `make run` first")
        with duckdb.connect(str(args.database), read_only=True) as con:
            as_of = read_as_of(con)
        stamp_docs(args.target, as_of)
    except AsOfError as error:
        return cli.fail(parser.prog, error)
    print(f"Docs site in {args.target} stamped: {as_of.sentence()}")
    return 0
