"""Scan every version of every file in the git history for secrets, with detect-secrets.

detect-secrets scans files, not history, and a secret committed once stays in every clone
after a later commit deletes it. So this writes out each blob that any commit of any ref
ever held (once per blob, under its path, so the plugins that look at file names still
apply), scans them with the plugins and filters of the committed `.secrets.baseline` (the
ones `make lint` and the pre-commit hook use on the work tree), and names the path, the
blob and the commit that introduced it for every finding. CI runs it on a full clone
(`fetch-depth: 0`); a shallow clone has only part of the history to scan.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from detect_secrets import SecretsCollection
from detect_secrets.settings import transient_settings

from lending import cli

BASELINE = ".secrets.baseline"
BASELINE_FILTER = "detect_secrets.filters.common.is_baseline_file"
# Parallel scans: few, the machine is shared.
PROCESSES = 2


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    blob: str
    commit: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.kind} (blob {self.blob[:12]}, "
            f"added in commit {self.commit})"
        )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def history_blobs(repo: Path) -> dict[str, str]:
    """Every blob reachable from any ref, with a path it had (blob -> path)."""
    listed = git(repo, "rev-list", "--objects", "--all", "--filter=object:type=blob")
    # Blobs come as "<blob> <path>"; commits, listed too, have no path.
    entries = (line.split(" ", 1) for line in listed.splitlines())
    return {entry[0]: entry[1] for entry in entries if len(entry) == 2}


def write_blobs(repo: Path, blobs: dict[str, str], root: Path) -> list[str]:
    """Each blob as root/<blob>/<path>; returns those names, relative to root."""
    names = []
    with subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as batch:
        assert batch.stdin is not None and batch.stdout is not None
        for blob, path in blobs.items():
            # One request, one answer: "<blob> blob <size>\n<content>\n".
            batch.stdin.write(f"{blob}\n".encode())
            batch.stdin.flush()
            size = int(batch.stdout.readline().split()[2])
            content = batch.stdout.read(size + 1)[:size]
            name = f"{blob}/{path}"
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content)
            names.append(name)
        batch.stdin.close()
    return names


def introduced_in(repo: Path, blob: str) -> str:
    """The first commit (of any ref) that holds this blob."""
    commits = git(repo, "log", "--all", "--reverse", "--format=%h", f"--find-object={blob}")
    return commits.split()[0] if commits.split() else "?"


def with_plugin_paths_from(baseline: dict, folder: Path) -> dict:
    """The baseline with its custom plugins' `file://` paths made absolute.

    The baseline names them relative to the repository root, where `make lint` and
    pre-commit run; detect-secrets quietly scans without a plugin it cannot find.
    """
    plugins = []
    for plugin in baseline["plugins_used"]:
        if plugin.get("path", "").startswith("file://"):
            path = folder / plugin["path"].removeprefix("file://")
            if not path.is_file():
                raise FileNotFoundError(f"plugin {plugin['name']}: {path} not found")
            plugin = {**plugin, "path": f"file://{path.resolve()}"}
        plugins.append(plugin)
    return {**baseline, "plugins_used": plugins}


def without_the_baseline_filter(baseline: dict) -> dict:
    """The baseline's settings without detect-secrets' `is_baseline_file` filter, which
    skips a file of the baseline's name in any folder: the root one is left out above."""
    filters = [f for f in baseline.get("filters_used", []) if f["path"] != BASELINE_FILTER]
    return {**baseline, "filters_used": filters}


def scan_history(repo: Path, baseline: dict) -> tuple[list[Finding], int]:
    """The findings in every blob of the history, and how many blobs were scanned."""
    blobs = history_blobs(repo)
    # The root baseline holds the audited secrets' hashes: skipped, like the hook skips it.
    # Only the root one: a file of that name anywhere else is an ordinary file to scan.
    blobs = {blob: path for blob, path in blobs.items() if path != BASELINE}
    # Secrets the baseline records (audited by a person) are known, as for the hook.
    known = {
        (path, entry["hashed_secret"])
        for path, entries in baseline.get("results", {}).items()
        for entry in entries
    }
    with tempfile.TemporaryDirectory(prefix="secrets-history-") as folder:
        names = write_blobs(repo, blobs, Path(folder))
        with transient_settings(without_the_baseline_filter(baseline)):
            secrets = SecretsCollection(root=folder)
            secrets.scan_files(*names, num_processors=PROCESSES)
    findings = []
    for name, secret in secrets:
        blob, path = name.split("/", 1)
        if (path, secret.secret_hash) in known:
            continue
        commit = introduced_in(repo, blob)
        findings.append(Finding(path, secret.line_number or 0, secret.type, blob, commit))
    return sorted(findings, key=lambda f: (f.path, f.line, f.kind)), len(blobs)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(
        "lending-secrets-history",
        __doc__,
        epilog="Example (CI, on a clone with fetch-depth: 0): lending-secrets-history",
    )
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="git repository (default: .)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help=f"detect-secrets baseline with the plugins and filters (default: <repo>/{BASELINE})",
    )
    args = parser.parse_args(argv)
    baseline_path = args.baseline or args.repo / BASELINE
    try:
        baseline = json.loads(baseline_path.read_text())
        baseline = with_plugin_paths_from(baseline, baseline_path.parent)
    except FileNotFoundError as error:
        return cli.fail(parser.prog, error, status=2)
    findings, scanned = scan_history(args.repo, baseline)
    commits = len(git(args.repo, "rev-list", "--all").split())
    if findings:
        print(
            f"Secret scan of the git history: {len(findings)} potential secret(s) in "
            f"{scanned} file versions of {commits} commits",
            file=sys.stderr,
        )
        for finding in findings:
            print(f"  {finding}", file=sys.stderr)
        print(
            "A secret in the history is in every clone: revoke or rotate it first, then "
            "rewrite the history. A false positive: add an --exclude-secrets pattern to "
            f"{BASELINE} (README, 'Operational safety').",
            file=sys.stderr,
        )
        return 1
    print(
        f"Secret scan of the git history passed: {scanned} file versions of {commits} "
        "commits, no secret."
    )
    return 0
