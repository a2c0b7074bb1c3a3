"""The steps outside dbt: stale sources are reported and the run goes on; a source dbt
cannot check at all stops it; an S3 lake's structure is checked before the build."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import boto3
import pytest

from conftest import DAGS_FOLDER, quiet_env

OWNER = "123456789012"  # moto's account


@pytest.fixture(scope="module")
def dag_modules() -> tuple[ModuleType, ModuleType]:
    """The DAG's helpers. Airflow puts the DAG folder (a bundle) on sys.path before it
    imports a DAG file; so does this."""
    if str(DAGS_FOLDER) not in sys.path:
        sys.path.append(str(DAGS_FOLDER))
    return (
        importlib.import_module("monthly_delivery.config"),
        importlib.import_module("monthly_delivery.steps"),
    )


@pytest.fixture
def settings(
    dag_modules: tuple[ModuleType, ModuleType], dataset: Path, manifest: Path, tmp_path: Path
) -> object:
    config, _ = dag_modules
    return replace(
        config.load(),
        lake=str(dataset),
        manifest=manifest,
        duckdb_path=tmp_path / "warehouse.duckdb",
    )


@pytest.mark.slow
def test_stale_sources_are_reported_not_fatal(
    dag_modules: tuple[ModuleType, ModuleType], settings: object, tmp_path: Path
) -> None:
    _, steps = dag_modules
    stale = steps.source_freshness(settings, tmp_path)
    # The sample data ends in 2024: its monthly sources are past their error_after.
    assert "source.lending_research.bank.transactions (error)" in stale
    assert (tmp_path / "sources.json").exists()


@pytest.mark.slow
def test_a_source_dbt_cannot_check_stops_the_run(
    dag_modules: tuple[ModuleType, ModuleType], settings: object, manifest: Path, tmp_path: Path
) -> None:
    """A source the DAG's manifest gives a freshness check and dbt's results leave out (in
    production, say, an external table dbt cannot query) fails the step, named."""
    _, steps = dag_modules
    document = json.loads(manifest.read_text())
    sources = document["sources"]
    unknown = "source.lending_research.bank.collateral"
    sources[unknown] = dict(sources["source.lending_research.bank.demographics"], name="collateral")
    changed = tmp_path / "manifest.json"
    changed.write_text(json.dumps(document))
    with pytest.raises(steps.StepFailed, match="could not check the freshness of") as failed:
        steps.source_freshness(replace(settings, manifest=changed), tmp_path)
    assert f"['{unknown}']" in str(failed.value)


@pytest.mark.slow
def test_a_source_folder_missing_stops_the_run_before_freshness(
    dag_modules: tuple[ModuleType, ModuleType], settings: object, dataset: Path, tmp_path: Path
) -> None:
    """dbt's own structure check (on-run-start) runs before freshness too."""
    _, steps = dag_modules
    lake = tmp_path / "raw"
    shutil.copytree(dataset, lake, ignore=shutil.ignore_patterns("demographics"))
    with pytest.raises(steps.StepFailed, match="dbt source freshness did not run") as failed:
        steps.source_freshness(replace(settings, lake=str(lake)), tmp_path)
    assert "demographics: folder missing" in str(failed.value)


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in quiet_env().items():
        monkeypatch.setenv(key, value)


def test_an_s3_lake_is_checked_before_the_build(
    dag_modules: tuple[ModuleType, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the production path the step runs `lending-check-raw` on the S3 prefix (it used
    to skip it, leaving Redshift's build to read unchecked files); without the lake's
    expected owner that check refuses, so the step fails before any request is sent."""
    config, steps = dag_modules
    monkeypatch.delenv("BANK_LAKE_BUCKET_OWNER", raising=False)
    settings = replace(config.load(), target="prod", lake="s3://a-lake-bucket/raw")
    with pytest.raises(steps.StepFailed, match="structurally broken") as failed:
        steps.check_structure(settings)
    assert "BANK_LAKE_BUCKET_OWNER is not set" in str(failed.value)


def test_the_docs_site_goes_to_s3_only_in_the_project_s_account(
    dag_modules: tuple[ModuleType, ModuleType], aws_endpoint: str, tmp_path: Path
) -> None:
    """Every upload names the expected bucket owner; without one nothing is sent."""
    _, steps = dag_modules
    for name in steps.DOCS_FILES:
        (tmp_path / name).write_text(f"the site's {name}")
    client = boto3.client(
        "s3",
        endpoint_url=aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="lending-docs")
    sent: list = []
    client.meta.events.register(
        "before-sign.s3.PutObject", lambda request, **_: sent.append(request)
    )

    steps.upload_docs(tmp_path, "s3://lending-docs/site", OWNER, client)

    assert len(sent) == len(steps.DOCS_FILES)
    assert all(r.headers.get("x-amz-expected-bucket-owner") == OWNER for r in sent)
    stored = client.list_objects_v2(Bucket="lending-docs", Prefix="site/")["Contents"]
    assert {item["Key"] for item in stored} == {f"site/{n}" for n in steps.DOCS_FILES}
    sent.clear()
    with pytest.raises(steps.StepFailed, match="needs BANK_LAKE_BUCKET_OWNER"):
        steps.upload_docs(tmp_path, "s3://lending-docs/site", None, client)
    assert sent == []
