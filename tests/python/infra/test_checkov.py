"""checkov (run by `make infra-check` on infra/terraform, which must pass with zero failed
checks) catches a weakened copy, and every check the configuration skips says why."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from terraform_config import PROJECT_ROOT, broken_copy, checkov_skips, copy_config, skip_problems

# Installed by `make infra-check` in a virtual environment of its own (its pins conflict
# with the project's); the same offline flags as the Makefile's gate.
CHECKOV = PROJECT_ROOT / ".venv-infra" / "bin" / "checkov"
OFFLINE = ("--framework", "terraform", "--skip-download", "--quiet", "--output", "json")


def run_checkov(folder: Path) -> dict:
    if not CHECKOV.exists():
        pytest.skip("checkov is not installed: `make infra-check` installs it in .venv-infra")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    result = subprocess.run(
        [str(CHECKOV), "--directory", str(folder), *OFFLINE],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_checkov_fails_a_weakened_copy(tmp_path: Path):
    folder = broken_copy(
        tmp_path,
        "s3.tf",
        "  block_public_acls       = true\n",
        "  block_public_acls       = false\n",
    )
    kms = folder / "kms.tf"
    kms.write_text(
        kms.read_text().replace(
            "enable_key_rotation     = true", "enable_key_rotation     = false", 1
        )
    )
    failed = {
        (check["check_id"], check["resource"])
        for check in run_checkov(folder)["results"]["failed_checks"]
    }
    assert ("CKV_AWS_53", 'aws_s3_bucket_public_access_block.this["lake"]') in failed
    assert ("CKV_AWS_7", "aws_kms_key.this") in failed


def test_every_skip_says_why():
    skips = checkov_skips()
    assert skips, "no skips found: has the comment format changed?"
    assert skip_problems() == []


def test_a_skip_without_a_reason_is_caught(tmp_path: Path):
    folder = copy_config(tmp_path)
    (folder / "extra.tf").write_text(
        'resource "aws_sqs_queue" "x" {\n  #checkov:skip=CKV_AWS_27:later\n  name = "x"\n}\n'
    )
    assert skip_problems(folder) == ["extra.tf: CKV_AWS_27 skipped without a real reason ('later')"]
