"""Secret scanning with detect-secrets and the committed .secrets.baseline: the tree and its
history are clean; each common way of leaking a credential is caught, in the work tree
(`make lint`, the pre-commit hook) and in the git history after it was deleted; env_var()
templating is not reported.

Every planted secret is assembled at run time from a seeded random generator, so this file
holds none and cannot trip the scan itself.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, command, run_command

HOOK = command("detect-secrets-hook")
HISTORY = command("lending-secrets-history")
BASELINE = PROJECT_ROOT / ".secrets.baseline"

_random = random.Random(15)


def _token(alphabet: str, length: int) -> str:
    return "".join(_random.choice(alphabet) for _ in range(length))


_ALNUM = string.ascii_letters + string.digits
_BASE64 = _ALNUM + "+/"
_PASSWORD = _token(_ALNUM, 12) + "!7"
_BEGIN, _END = "-----BEGIN RSA PRIVATE", "-----END RSA PRIVATE"

# One file per form: (path, content, line, what detect-secrets calls it).
PLANTED = {
    "aws secret access key": (
        "config/aws.ini",
        f"[default]\naws_secret_access_key = {_token(_BASE64, 40)}\n",
        2,
        "Secret Keyword",
    ),
    "aws access key id": (
        "settings.py",
        f'AWS_KEY_ID = "AKIA{_token(string.ascii_uppercase + "234567", 16)}"\n',
        1,
        "AWS Access Key",
    ),
    "dbt secret env var": (
        "ci/deploy.sh",
        f"#!/bin/sh\nDBT_ENV_SECRET_REDSHIFT_PASSWORD={_PASSWORD}\n",
        2,
        "Secret Keyword",
    ),
    "github token": (
        "tools/release.py",
        f'GITHUB_TOKEN = "ghp_{_token(_ALNUM, 36)}"\n',
        1,
        "GitHub Token",
    ),
    "uri with user and password": (
        "docs/connect.md",
        f"Connect with postgresql://analyst:{_token(_ALNUM, 14)}@warehouse.example.com/analytics\n",
        1,
        "Basic Auth Credentials",
    ),
    # BasicAuthDetector misses a password with `!`: our plugin (secrets_plugins.py) does not.
    "uri password with punctuation": (
        "docs/connect-admin.md",
        f"Connect with postgresql://admin:{_PASSWORD}@warehouse.example.com:5439/analytics\n",
        1,
        "URI with a password",
    ),
    "password in a yaml profile": (
        "profiles.yml",
        "lending_research:\n  outputs:\n    prod:\n      type: redshift\n"
        f"      password: {_PASSWORD}\n",
        5,
        "Secret Keyword",
    ),
    "private key": (
        "keys/deploy_key.pem",
        f"{_BEGIN} KEY-----\n{_token(_BASE64, 64)}\n{_END} KEY-----\n",
        1,
        "Private Key",
    ),
    "slack token": (
        "notify.py",
        f'WEBHOOK = "xoxb-{_token(string.digits, 12)}-{_token(string.digits, 13)}-'
        f'{_token(_ALNUM, 24)}"\n',
        1,
        "Slack Token",
    ),
    "generic high-entropy token": (
        "config/session.json",
        f'{{"session": "{_token(_BASE64, 44)}"}}\n',
        1,
        "Base64 High Entropy String",
    ),
    "dotenv password": (".env", f"REDSHIFT_PASSWORD={_PASSWORD}\n", 1, "Secret Keyword"),
}
# Where a secret comes from, not a secret: dbt's env_var() and CI's secret store.
TEMPLATED = {
    "safe/profiles.yml": (
        "lending_research:\n  outputs:\n    prod:\n      type: redshift\n"
        "      password: \"{{ env_var('DBT_ENV_SECRET_REDSHIFT_PASSWORD') }}\"\n"
    ),
    "safe/ci.yml": ("env:\n  DBT_ENV_SECRET_REDSHIFT_PASSWORD: ${{ secrets.REDSHIFT_PASSWORD }}\n"),
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.com",
         *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    return path


def write(root: Path, files: dict[str, str]) -> list[str]:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return list(files)


def scan_tree(root: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    """The library's hook with the project's baseline, run from the project's root (where the
    baseline finds our plugin) as `make lint` and pre-commit run it."""
    return run_command(
        HOOK, "--baseline", ".secrets.baseline", "--json", *(root / f for f in files), timeout=300
    )


@pytest.fixture(scope="module")
def planted_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[tuple]]:
    """What the hook reports on a tree holding every planted form and the templated ones."""
    repo = new_repo(tmp_path_factory.mktemp("planted") / "repo")
    files = write(repo, {path: content for path, content, _, _ in PLANTED.values()})
    files += write(repo, TEMPLATED)
    result = scan_tree(repo, files)
    assert result.returncode == 1, result.stdout + result.stderr
    results = json.loads(result.stdout)["results"]
    return {
        str(Path(path).relative_to(repo)): {(e["line_number"], e["type"]) for e in entries}
        for path, entries in results.items()
    }


@pytest.mark.parametrize("form", PLANTED)
def test_each_planted_form_is_caught(form: str, planted_findings: dict[str, set[tuple]]) -> None:
    path, _content, line, kind = PLANTED[form]
    assert (line, kind) in planted_findings.get(path, set()), planted_findings


def test_env_var_templating_is_not_reported(planted_findings: dict[str, set[tuple]]) -> None:
    assert not set(TEMPLATED) & set(planted_findings)
    # Not vacuous: the same key with a literal value is reported.
    assert PLANTED["password in a yaml profile"][0] in planted_findings


def test_the_project_tree_passes() -> None:
    """What `make lint` scans: tracked and untracked files that git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    files = [name for name in listed if (PROJECT_ROOT / name).is_file()]
    assert "profiles.yml" in files
    result = scan_tree(PROJECT_ROOT, files)
    assert result.returncode == 0, result.stdout


def run_history(repo: Path) -> subprocess.CompletedProcess[str]:
    return run_command(HISTORY, "--repo", repo, "--baseline", BASELINE)


def test_a_secret_committed_then_deleted_is_found_in_the_history(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    path, content, line, kind = PLANTED["password in a yaml profile"]
    write(repo, {"README.md": "A project.\n", path: content})
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "Add the profile")
    leaked = git(repo, "rev-parse", "--short", "HEAD").strip()
    write(repo, {path: TEMPLATED["safe/profiles.yml"]})
    git(repo, "commit", "--quiet", "--all", "--message", "Read the password from the environment")

    # The tree is clean now, so the tree scan passes...
    assert scan_tree(repo, ["README.md", path]).returncode == 0
    # ...and the history scan still finds the leak, with the commit that made it.
    result = run_history(repo)
    assert result.returncode == 1, result.stdout
    assert f"{path}:{line}: {kind} (blob " in result.stderr
    assert f"added in commit {leaked})" in result.stderr


def test_a_secret_on_another_branch_is_found_too(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    write(repo, {"README.md": "A project.\n"})
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "Start")
    git(repo, "checkout", "--quiet", "-b", "experiment")
    path, content, line, kind = PLANTED["github token"]
    write(repo, {path: content})
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "Try the release script")
    git(repo, "checkout", "--quiet", "main")
    result = run_history(repo)
    assert result.returncode == 1
    assert f"{path}:{line}: {kind}" in result.stderr


def test_only_the_root_baseline_is_skipped(tmp_path: Path) -> None:
    """The root `.secrets.baseline` (audited hashes) is not scanned; a file of that name in
    any other folder is scanned like any file. The scan used to skip every one of them, so
    a secret committed as `config/.secrets.baseline` was never reported."""
    repo = new_repo(tmp_path / "repo")
    hashed = hashlib.sha1(_PASSWORD.encode()).hexdigest()
    root = json.dumps({"results": {"a.py": [{"hashed_secret": hashed, "line_number": 1}]}})
    _, content, line, kind = PLANTED["aws secret access key"]
    hidden = f"config/{BASELINE.name}"
    write(repo, {BASELINE.name: root + "\n", hidden: content})
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "Add the baselines")

    result = run_history(repo)

    assert result.returncode == 1, result.stdout
    assert f"  {hidden}:{line}: {kind} (blob " in result.stderr
    reported = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert reported and all(line.startswith(f"  {hidden}:") for line in reported)


@pytest.mark.slow
def test_the_project_history_passes() -> None:
    result = run_history(PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    assert "Secret scan of the git history passed" in result.stdout
