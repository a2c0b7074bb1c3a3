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

MANIFEST_NAME = "_manifest.json"


def month_prefix(month: date) -> str:
    return f"transactions/year={month.year:04d}/month={month.month:02d}/"


def lists_month(manifest: dict, month: date) -> bool:
    prefix = month_prefix(month)
    return any(name.startswith(prefix) for name in manifest.get("files", {}))


def read_manifest(lake: str, aws_conn_id: str) -> dict | None:
    """The lake's manifest, or None while there is none (nothing delivered yet)."""
    if not lake.startswith("s3://"):
        path = Path(lake) / MANIFEST_NAME
        return json.loads(path.read_text()) if path.exists() else None
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    bucket, _, prefix = lake.removeprefix("s3://").partition("/")
    key = f"{prefix.strip('/')}/{MANIFEST_NAME}" if prefix.strip("/") else MANIFEST_NAME
    hook = S3Hook(aws_conn_id=aws_conn_id)
    if not hook.check_for_key(key, bucket_name=bucket):
        return None
    return json.loads(hook.read_key(key, bucket_name=bucket))


def has_arrived(lake: str, month: date, aws_conn_id: str) -> bool:
    manifest = read_manifest(lake, aws_conn_id)
    return manifest is not None and lists_month(manifest, month)
