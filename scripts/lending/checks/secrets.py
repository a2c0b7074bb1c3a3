"""Fail if a tracked file holds a literal credential.

Credentials reach dbt only through env_var() (secrets as DBT_ENV_SECRET_*): a password,
key or token written into profiles.yml or any other tracked file is a leak waiting to be
pushed. Looks for secret-looking keys with literal values, AWS access keys and private
keys; a value that is a Jinja expression (`{{ env_var(...) }}`) is fine.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from lending.settings import PROJECT_ROOT

SECRET_KEY = re.compile(
    r"""(?ix)
    \b(password|passwd|secret|secret_access_key|api_key|token|private_key)\b
    ["']?\s*[:=]\s*
    (?P<value>["']?[^\s"'#,}]{6,}["']?)
    """
)
PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}
# Values that name where a secret comes from rather than being one.
INDIRECT = re.compile(r"env_var|\{\{|\$\{|\$[A-Z_]+|os\.environ|getenv", re.IGNORECASE)


def findings(path: Path, text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = SECRET_KEY.search(line)
        if match and not INDIRECT.search(match.group("value")):
            found.append(f"{path}:{number}: literal {match.group(1).lower()} value")
        for name, pattern in PATTERNS.items():
            if pattern.search(line):
                found.append(f"{path}:{number}: {name}")
    return found


def tracked_files(root: Path) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout.decode()
    return [root / name for name in listed.split("\0") if name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, help="files to scan (default: tracked files)"
    )
    args = parser.parse_args(argv)
    paths = args.paths or tracked_files(PROJECT_ROOT)
    problems: list[str] = []
    for path in paths:
        try:
            text = path.read_text()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue  # binary files (Parquet, PNG) hold no configuration
        problems += findings(path, text)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"check_no_secrets.py: {len(problems)} literal credential(s); read them from the "
            "environment with env_var() instead",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
