"""Borrower data: the raw rejected rows, borrower identifiers included, are published to
the engineers' quarantine schema, granted to their role, not to the analysts'."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from lending.checks.redshift import offline_env

DBT = str(Path(sys.executable).with_name("dbt"))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    target = tmp_path_factory.mktemp("parsed")
    parsed = subprocess.run(
        [DBT, "parse", "--target", "prod", "--target-path", str(target),
         "--log-path", str(target / "logs")],
        cwd=PROJECT_ROOT, env=dict(offline_env(), DBT_PROFILES_DIR=str(PROJECT_ROOT)),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    return json.loads((target / "manifest.json").read_text())


def public_marts(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    ]


@pytest.mark.slow
def test_the_raw_rejected_rows_are_the_engineers_alone(manifest: dict) -> None:
    quarantine = {n["name"]: n for n in public_marts(manifest) if n["schema"] != "analytics"}
    assert set(quarantine) == {
        "fct_rejected_transactions",
        "fct_rejected_economic_indicators",
        "fct_rejected_demographics",
    }
    for node in quarantine.values():
        assert node["schema"] == "analytics_quarantine"
        assert node["config"]["grants"] == {"select": ["role:engineers"]}
    for node in public_marts(manifest):
        if node["name"] not in quarantine:
            assert node["config"]["grants"] == {"select": ["role:analysts"]}, node["name"]
