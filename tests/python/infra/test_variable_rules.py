"""The validation rules of the Terraform variables, run by Terraform itself: each variable's
block alone in a module of its own (no provider, no network), planned with good and bad
values. A rule that lets a bad value through fails here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

VARIABLES = PROJECT_ROOT / "infra" / "terraform" / "variables.tf"
TERRAFORM = shutil.which("terraform")
pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="terraform not installed")


def variable_block(name: str, source: str | None = None) -> str:
    """The `variable "<name>" { ... }` block of variables.tf, up to its closing brace."""
    text = VARIABLES.read_text() if source is None else source
    found = re.search(rf'^variable "{name}" {{\n.*?^}}\n', text, re.MULTILINE | re.DOTALL)
    assert found, f"variable {name} not in {VARIABLES}"
    return found.group(0)


def plan(module: Path, name: str, value: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    run = [TERRAFORM, f"-chdir={module}"]
    if not (module / ".terraform.lock.hcl").exists() and not (module / ".terraform").exists():
        subprocess.run([*run, "init", "-input=false"], env=env, capture_output=True, check=True)
    return subprocess.run(
        [*run, "plan", "-input=false", "-refresh=false", f"-var={name}={json.dumps(value)}"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def cidrs_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    module = tmp_path_factory.mktemp("warehouse-client-cidrs")
    (module / "main.tf").write_text(variable_block("warehouse_client_cidrs"))
    return module


@pytest.mark.parametrize(
    "cidrs", [[], ["10.20.0.0/16"], ["192.0.2.0/24", "198.51.100.7/32"], ["172.16.0.0/20"]]
)
def test_client_ranges_of_a_16_or_narrower_pass(cidrs_module: Path, cidrs: list[str]) -> None:
    result = plan(cidrs_module, "warehouse_client_cidrs", cidrs)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/0"],
        ["0.0.0.0/1"],
        ["128.0.0.0/1"],
        ["10.0.0.0/8"],
        ["10.0.0.0/15"],
        ["10.20.0.0/16", "0.0.0.0/2"],
        ["2001:db8::/32"],
        ["not a range"],
    ],
)
def test_wider_ranges_are_refused(cidrs_module: Path, cidrs: list[str]) -> None:
    result = plan(cidrs_module, "warehouse_client_cidrs", cidrs)
    assert result.returncode != 0
    assert "/16 or narrower" in result.stderr


def test_the_former_rule_fails_the_test_above(tmp_path: Path) -> None:
    """The broken copy: the old rule (only 0.0.0.0/0 refused) lets 0.0.0.0/1 through."""
    former = variable_block("warehouse_client_cidrs").replace(
        variable_block("warehouse_client_cidrs").split("condition")[1].split("\n")[0],
        " = alltrue([for cidr in var.warehouse_client_cidrs : can(cidrhost(cidr, 0)) && "
        'cidr != "0.0.0.0/0"])',
    )
    (tmp_path / "main.tf").write_text(former)
    assert plan(tmp_path, "warehouse_client_cidrs", ["0.0.0.0/1"]).returncode == 0
