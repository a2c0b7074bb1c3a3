"""What the console commands (`lending-*`) share."""

from __future__ import annotations

import sys


def fail(prog: str, message: object, status: int = 1) -> int:
    """Say on stderr what stopped the command, the way argparse words its own errors
    (`lending-report: error: ...`), and give the exit status for `main` to return."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status
