"""Has the month's delivery arrived? The lake's _manifest.json says.

Deliveries are published by `lending-publish` (or written by `lending-generate`) in one
layout, locally or in S3, and the manifest is written last: a reader that finds it finds
every file it lists. So a month has arrived when the manifest lists its transactions
partition, transactions/year=YYYY/month=MM/.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

MANIFEST_NAME = "_manifest.json"


def month_prefix(month: date) -> str:
    return f"transactions/year={month.year:04d}/month={month.month:02d}/"


def lists_month(manifest: dict, month: date) -> bool:
    prefix = month_prefix(month)
    return any(name.startswith(prefix) for name in manifest.get("files", {}))


def s3_client(aws_conn_id: str) -> Any:
    """The boto3 S3 client of the Airflow connection."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id).get_conn()


def read_manifest(
    lake: str, aws_conn_id: str, bucket_owner: str | None = None, client: Any = None
) -> dict | None:
    """The lake's manifest, or None while there is none (nothing delivered yet). On S3 the
    request names the bucket's expected owner: a bucket of the lake's name in another
    account is never read."""
    if not lake.startswith("s3://"):
        path = Path(lake) / MANIFEST_NAME
        return json.loads(path.read_text()) if path.exists() else None
    if not bucket_owner:
        raise ValueError(f"reading {lake} needs BANK_LAKE_BUCKET_OWNER, the lake's account id")
    bucket, _, prefix = lake.removeprefix("s3://").partition("/")
    key = f"{prefix.strip('/')}/{MANIFEST_NAME}" if prefix.strip("/") else MANIFEST_NAME
    client = client or s3_client(aws_conn_id)
    try:
        response = client.get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=bucket_owner)
    except client.exceptions.NoSuchKey:
        return None
    return json.loads(response["Body"].read())


def has_arrived(lake: str, month: date, aws_conn_id: str, bucket_owner: str | None) -> bool:
    manifest = read_manifest(lake, aws_conn_id, bucket_owner)
    return manifest is not None and lists_month(manifest, month)
