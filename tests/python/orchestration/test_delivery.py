"""The delivery sensor's question, "has this month arrived?", asked of a local lake and of
an S3 lake (moto's server on loopback, through the Airflow connection `aws_default`)."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType

import boto3
import pytest

from conftest import DAGS_FOLDER, aws_settings

AUGUST = date(2024, 8, 1)
OWNER = "123456789012"  # moto's account
SEPTEMBER = date(2024, 9, 1)


@pytest.fixture(scope="module")
def delivery() -> ModuleType:
    """The DAG's helper module. Airflow puts the DAG folder (a bundle) on sys.path before
    it imports a DAG file; so does this."""
    if str(DAGS_FOLDER) not in sys.path:
        sys.path.append(str(DAGS_FOLDER))
    return importlib.import_module("monthly_delivery.delivery")


def test_a_month_has_arrived_when_the_manifest_lists_its_partition(
    delivery: ModuleType, dataset: Path
) -> None:
    lake = str(dataset)
    assert delivery.has_arrived(lake, AUGUST, "aws_default", None)
    assert delivery.has_arrived(lake, date(2019, 1, 1), "aws_default", None)
    assert not delivery.has_arrived(lake, SEPTEMBER, "aws_default", None)


def test_a_lake_without_a_manifest_has_nothing_delivered(
    delivery: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "transactions/year=2024/month=08").mkdir(parents=True)
    (tmp_path / "transactions/year=2024/month=08/part-0.parquet").write_bytes(b"half uploaded")
    assert not delivery.has_arrived(str(tmp_path), AUGUST, "aws_default", None)


@pytest.fixture
def s3_lake(aws_endpoint: str, dataset: Path) -> Iterator[str]:
    """The dataset's manifest in a bucket, and this process's environment pointing the
    connection at moto."""
    saved = dict(os.environ)
    os.environ.update(aws_settings(aws_endpoint))
    bucket = "lending-lake-deliveries"
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    manifest = json.loads((dataset / "_manifest.json").read_text())
    s3.put_object(Bucket=bucket, Key="raw/_manifest.json", Body=json.dumps(manifest).encode())
    try:
        yield f"s3://{bucket}/raw"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_an_s3_lake_is_read_through_the_aws_connection(delivery: ModuleType, s3_lake: str) -> None:
    assert delivery.has_arrived(s3_lake, AUGUST, "aws_default", OWNER)
    assert not delivery.has_arrived(s3_lake, SEPTEMBER, "aws_default", OWNER)
    empty_prefix = s3_lake.replace("/raw", "/elsewhere")
    assert not delivery.has_arrived(empty_prefix, AUGUST, "aws_default", OWNER)


def test_the_s3_manifest_is_read_only_from_the_lake_s_account(
    delivery: ModuleType, s3_lake: str
) -> None:
    """Every request names the expected bucket owner; without one nothing is sent (bucket
    names are global: anyone may own a bucket of the lake's name in their account)."""
    client = delivery.s3_client("aws_default")
    sent: list[dict] = []
    client.meta.events.register("before-sign.s3.*", lambda request, **_: sent.append(request))
    assert delivery.read_manifest(s3_lake, "aws_default", OWNER, client=client) is not None
    assert sent and all(r.headers.get("x-amz-expected-bucket-owner") == OWNER for r in sent)
    sent.clear()
    with pytest.raises(ValueError, match="needs BANK_LAKE_BUCKET_OWNER"):
        delivery.read_manifest(s3_lake, "aws_default", None, client=client)
    assert sent == []
