"""Every Terraform file parses (python-hcl2: terraform itself cannot run here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from terraform_config import TERRAFORM_DIR, ParseError, load, parse_file

TF_FILES = sorted(TERRAFORM_DIR.glob("*.tf"))
EXAMPLES = sorted(TERRAFORM_DIR.glob("*.example"))


def test_the_configuration_has_a_file_per_concern():
    names = {path.name for path in TF_FILES}
    assert {"versions.tf", "variables.tf", "outputs.tf", "s3.tf", "redshift.tf"} <= names
    assert {"backend.tf.example", "terraform.tfvars.example"} <= {path.name for path in EXAMPLES}


@pytest.mark.parametrize("path", TF_FILES + EXAMPLES, ids=lambda path: path.name)
def test_file_parses(path: Path):
    assert parse_file(path), f"{path.name} is empty"


def test_a_broken_file_fails_naming_it(tmp_path: Path):
    (tmp_path / "fine.tf").write_text('variable "x" {\n  type = string\n}\n')
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "lake" {\n  bucket = "a"\n')
    with pytest.raises(ParseError, match=r"^broken\.tf: "):
        load(tmp_path)


def test_the_backend_is_documented_but_not_required():
    assert not (TERRAFORM_DIR / "backend.tf").exists(), "state must work without a backend"
    backend = parse_file(TERRAFORM_DIR / "backend.tf.example")["terraform"][0]["backend"][0]
    assert "s3" in backend
    for block in load().resources.values():
        assert "backend" not in block
