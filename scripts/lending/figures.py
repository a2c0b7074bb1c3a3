"""The outputs README.md quotes, produced by the commands that print them.

A quoted block is marked on the line before its fence with `<!-- output: NAME -->`, and
OUTPUTS says which commands print it and which of their lines the README keeps. So a
change that moves a number fails `lending-figures --check` (in `make dbt-checks`, so in
`make test` and every pull request) until `lending-figures --write` (`make figures`)
rewrites the blocks. Both run after `make run`: the blocks are of the default dataset.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lending import settings

README = settings.PROJECT_ROOT / "README.md"
MARKER = re.compile(r"^<!-- output: ([a-z0-9-]+) -->$")
Kept = Callable[[list[str]], list[str]]


def lines_from(start: str, count: int) -> Kept:
    """The `count` lines from the first that starts with `start`."""

    def kept(lines: list[str]) -> list[str]:
        first = next(i for i, line in enumerate(lines) if line.startswith(start))
        return lines[first : first + count]

    return kept


def ends_of(start: str, head: int, tail: int) -> Kept:
    """From the first line that starts with `start`: `head` lines, `...`, the last `tail`."""

    def kept(lines: list[str]) -> list[str]:
        first = next(i for i, line in enumerate(lines) if line.startswith(start))
        table = [line for line in lines[first:] if line.strip()]
        return [*table[:head], "...", *table[-tail:]]

    return kept


@dataclass(frozen=True)
class Output:
    """Commands (run in the project root, .venv/bin first on PATH) and the lines of each
    that the block quotes; a block of several commands has a blank line between them."""

    commands: tuple[tuple[tuple[str, ...], Kept], ...]


MF_EXPOSURE = (
    "mf", "query", "--metrics",
    "outstanding_usd,disbursed_last_12_months_usd,repaid_last_12_months_usd,inflation_pct",
    "--group-by", "country__country_name",
    "--where", "{{ TimeDimension('metric_time', 'month') }} = '2024-08-01'",
    "--order", "-outstanding_usd", "--decimals", "1",
)  # fmt: skip
MF_YEAR_ON_YEAR = (
    "mf", "query", "--metrics", "disbursed_usd,disbursed_usd_year_ago,disbursed_usd_yoy_change",
    "--group-by", "metric_time__year", "--order", "metric_time__year",
    "--end-time", "2024-08-31", "--decimals", "3",
)  # fmt: skip
MF_YEAR_TO_DATE = (
    "mf", "query", "--metrics",
    "disbursed_usd_year_to_date,disbursed_usd_year_to_date_yoy_change",
    "--group-by", "metric_time__month", "--order", "metric_time__month", "--decimals", "3",
    "--where", "{{ TimeDimension('metric_time', 'month') }} in ('2023-08-01', '2024-08-01')",
)  # fmt: skip
SUCCESS_RATE_BY_COUNTRY = """select country_name,
    round(100 * {{ success_rate('sum(completed_count)', 'sum(settled_count)') }}, 2)
        as success_rate_pct,
    sum(settled_count) as settled_count
    from {{ ref('fct_country_monthly') }} group by 1 order by 2"""

OUTPUTS = {
    # What `make run` prints at its end (a build with no change).
    "build-summary": Output(
        (
            (
                ("lending-build", "--exclude-resource-type", "unit_test"),
                lines_from("Build summary", 8),
            ),
        )
    ),
    "success-rate-by-country": Output(
        (
            (
                ("dbt", "show", "--limit", "10", "--inline", SUCCESS_RATE_BY_COUNTRY),
                lines_from("| country_name", 12),
            ),
        )
    ),
    "make-metrics": Output(
        ((("make", "--no-print-directory", "metrics"), lines_from("metric_time__year", 5)),)
    ),
    "exposure-by-country": Output(((MF_EXPOSURE, lines_from("country__country_name", 12)),)),
    "year-on-year": Output(
        (
            (MF_YEAR_ON_YEAR, ends_of("metric_time__year", 4, 2)),
            (MF_YEAR_TO_DATE, lines_from("metric_time__month", 4)),
        )
    ),
}


class FigureError(Exception):
    """A marker without its block, or a block no command is registered for."""


def printed(output: Output, root: Path) -> list[str]:
    """The block as the commands print it today."""
    env = dict(os.environ, PATH=f"{root / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env["DO_NOT_TRACK"] = "1"
    block: list[str] = []
    for command, kept in output.commands:
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise FigureError(
                f"`{' '.join(command[:3])} ...` failed ({result.returncode}): "
                f"{(result.stdout + result.stderr)[-1500:]}"
            )
        lines = [line.rstrip() for line in result.stdout.splitlines()]
        block += ([""] if block else []) + kept(lines)
    return block


def quoted(text: str) -> dict[str, tuple[int, int]]:
    """Each marked block's line range in `text` (the lines between its fences)."""
    lines = text.splitlines()
    blocks = {}
    for number, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        name = match.group(1)
        if name not in OUTPUTS:
            raise FigureError(f"README.md:{number + 1}: no command prints output {name!r}")
        if number + 1 >= len(lines) or not lines[number + 1].startswith("```"):
            raise FigureError(f"README.md:{number + 1}: output {name!r} has no block after it")
        end = next(i for i in range(number + 2, len(lines)) if lines[i].startswith("```"))
        blocks[name] = (number + 2, end)
    return blocks


def differences(text: str, produce: Callable[[str], list[str]]) -> tuple[str, list[str]]:
    """`text` with every marked block as its command prints it today, and one sentence per
    block that differed or is missing, naming its line and the first line that differs."""
    lines = text.splitlines()
    blocks = quoted(text)
    found = [
        f"README.md: output {name!r} is quoted nowhere (no `<!-- output: {name} -->`)"
        for name in sorted(set(OUTPUTS) - set(blocks))
    ]
    # From the last block up, so that the earlier blocks' line numbers stay right.
    for name, (first, end) in sorted(blocks.items(), key=lambda item: -item[1][0]):
        quoted_lines, today = lines[first:end], produce(name)
        if quoted_lines == today:
            continue
        at = next(
            (
                i
                for i, pair in enumerate(zip(quoted_lines, today, strict=False))
                if len(set(pair)) > 1
            ),
            min(len(quoted_lines), len(today)),
        )
        was = quoted_lines[at] if at < len(quoted_lines) else "(nothing)"
        now = today[at] if at < len(today) else "(nothing)"
        found.append(
            f"README.md:{first + at + 1}: output {name!r} is not what its command prints"
            f" today: {was.strip()!r} is now {now.strip()!r}"
        )
        lines[first:end] = today
    return "\n".join(lines) + "\n", sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="fail if a block is stale")
    action.add_argument("--write", action="store_true", help="rewrite the stale blocks")
    args = parser.parse_args(argv)
    root = settings.PROJECT_ROOT
    try:
        text, found = differences(README.read_text(), lambda name: printed(OUTPUTS[name], root))
    except FigureError as error:
        print(f"lending-figures: {error}", file=sys.stderr)
        return 1
    if args.write:
        README.write_text(text)
        print(f"Rewrote {len(found)} block(s) of README.md." if found else "README.md is current.")
        return 0
    for sentence in found:
        print(sentence, file=sys.stderr)
    if found:
        print("Run `make figures` after `make run`, and commit README.md.", file=sys.stderr)
        return 1
    print(f"README.md: the {len(OUTPUTS)} quoted outputs are what their commands print.")
    return 0
