"""What the project's checks report: a problem, where it is, and how to print a list."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def report(check: str, problems: Sequence[Problem]) -> int:
    """Print the problems on stderr under the check's name; the exit status to return."""
    if not problems:
        return 0
    print(f"{check}: {len(problems)} problem(s)", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 1
