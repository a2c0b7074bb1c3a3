"""What the console commands (`lending-*`) share."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def parser(prog: str, doc: str | None, **options: Any) -> argparse.ArgumentParser:
    """A command's argument parser, described by the first paragraph of its module's
    docstring (`doc`); `options` go to argparse (epilog, parents, ...)."""
    return argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n")[0], **options)


def fail(prog: str, message: object, status: int = 1) -> int:
    """Say on stderr what stopped the command, the way argparse words its own errors
    (`lending-report: error: ...`), and give the exit status for `main` to return."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status
