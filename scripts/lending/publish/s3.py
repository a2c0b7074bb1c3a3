"""Publish a generated dataset to S3, in the same layout, for Redshift Spectrum to read.

  lending-publish data/raw s3://bucket/prefix        upload a dataset already generated
  lending-generate --output s3://bucket/prefix       generate, then upload (calls this)

Every Parquet file of the dataset's _manifest.json goes to s3://bucket/prefix/<same path>
(transactions/year=YYYY/month=MM/part-0.parquet, ...). The manifest is uploaded last, so a
reader that finds it finds every file it lists; objects under the prefix that the new
manifest does not list (left by an earlier, larger dataset) are deleted after it. Only a
prefix of its own is ever written: never a bucket's root (s3://bucket), never a prefix
holding objects but not the generator's _manifest.json, or objects outside the dataset's
folders; and only the manifest's own entries, relative paths inside the dataset folders.

Every upload asks for SSE-KMS (the lake's bucket policy refuses anything else), with the
key BANK_LAKE_KMS_KEY_ID if set (the bucket's default key otherwise). Every request names
the bucket's expected owner, BANK_LAKE_BUCKET_OWNER (the lake account's id, required), so a
bucket of the same name in another account is never written to or read.

Credentials, region and endpoint come from the standard AWS configuration (AWS_PROFILE,
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION, and AWS_ENDPOINT_URL_S3 for an
S3-compatible server).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from lending import cli
from lending.generator.dataset import (
    MANIFEST_NAME,
    OWN_ENTRIES,
    DatasetError,
    Options,
    Progress,
    generate,
    is_current,
    manifest_problem,
    read_manifest,
)

# Small files, many of them: a few uploads in flight hide the per-request latency.
UPLOAD_THREADS = 8
ACCOUNT_ID = re.compile(r"[0-9]{12}")
KMS_KEY = re.compile(r"(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:)?(key/|alias/)?[A-Za-z0-9/_-]+")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix') from s3://bucket/prefix; the prefix has no slashes at its ends."""
    if not uri.startswith("s3://"):
        raise DatasetError(f"{uri} is not an s3:// URI")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise DatasetError(f"{uri} names no bucket; write s3://bucket/prefix")
    if not prefix.strip("/"):
        # Publishing deletes what its manifest does not list under the prefix: at a
        # bucket's root that would be everything else in the bucket.
        raise DatasetError(
            f"{uri} names no prefix; the dataset needs a folder of its own: "
            "write s3://bucket/prefix (for example s3://bucket/raw)"
        )
    return bucket, prefix.strip("/")


def _key(prefix: str, relative: str) -> str:
    return f"{prefix}/{relative}"


def _client() -> Any:
    return boto3.client("s3")


def owner_arguments() -> dict[str, str]:
    """ExpectedBucketOwner for every request: BANK_LAKE_BUCKET_OWNER, the lake account's
    id, required (bucket names are global: a bucket of the lake's name in another account
    must never be read or written)."""
    owner = os.environ.get("BANK_LAKE_BUCKET_OWNER", "")
    if not owner:
        raise DatasetError(
            "BANK_LAKE_BUCKET_OWNER is not set: set it to the 12-digit id of the AWS "
            "account that owns the lake's bucket (in Terraform's dbt_environment output), so "
            "that no bucket of the same name in another account is read or written"
        )
    if not ACCOUNT_ID.fullmatch(owner):
        raise DatasetError(
            f"BANK_LAKE_BUCKET_OWNER must be a 12-digit AWS account id, not {owner!r}"
        )
    return {"ExpectedBucketOwner": owner}


def upload_arguments() -> dict[str, str]:
    """What every upload asks for: SSE-KMS, with BANK_LAKE_KMS_KEY_ID's key if set."""
    arguments = {"ServerSideEncryption": "aws:kms", **owner_arguments()}
    key = os.environ.get("BANK_LAKE_KMS_KEY_ID", "")
    if key:
        if not KMS_KEY.fullmatch(key):
            raise DatasetError(
                f"BANK_LAKE_KMS_KEY_ID must be a KMS key id, key ARN or alias, not {key!r}"
            )
        arguments["SSEKMSKeyId"] = key
    return arguments


def _existing_keys(client: Any, bucket: str, prefix: str) -> set[str]:
    paginator = client.get_paginator("list_objects_v2")
    keys: set[str] = set()
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}/", **owner_arguments()):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def read_remote_manifest(client: Any, bucket: str, prefix: str) -> dict | None:
    try:
        response = client.get_object(
            Bucket=bucket, Key=_key(prefix, MANIFEST_NAME), **owner_arguments()
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    try:
        manifest = json.loads(response["Body"].read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _not_ours(client: Any, bucket: str, prefix: str, existing: set[str]) -> str | None:
    """Why the objects under the prefix are not a dataset this tool published, or None
    (also when there are none): the generator's manifest, nothing but its entries."""
    if not existing:
        return None
    if _key(prefix, MANIFEST_NAME) not in existing:
        return f"it holds objects but no {MANIFEST_NAME}"
    problem = manifest_problem(read_remote_manifest(client, bucket, prefix))
    if problem:
        return problem
    foreign = sorted(
        key for key in existing if key[len(prefix) + 1 :].split("/")[0] not in OWN_ENTRIES
    )
    if foreign:
        return f"it holds {', '.join(foreign[:3])}, which the generator never writes"
    return None


def publish(local: Path, uri: str, client: Any | None = None) -> dict:
    """Upload the dataset in `local` to `uri`; returns its manifest."""
    manifest_path = local / MANIFEST_NAME
    manifest = read_manifest(local)
    problem = manifest_problem(manifest)
    if manifest is None or problem:
        raise DatasetError(f"cannot publish {local}: {problem}; generate the dataset first")
    bucket, prefix = split_s3_uri(uri)
    client = client or _client()
    extra = upload_arguments()
    try:
        existing = _existing_keys(client, bucket, prefix)
        manifest_key = _key(prefix, MANIFEST_NAME)
        remote_problem = _not_ours(client, bucket, prefix, existing)
        if remote_problem:
            raise DatasetError(
                f"refusing to publish to {uri}: {remote_problem}, so it was not written by "
                "this tool; choose another prefix"
            )
        files = sorted(manifest["files"])
        missing = [name for name in files if not (local / name).is_file()]
        if missing:
            raise DatasetError(f"{local} lacks files its manifest lists: {missing[:3]}")

        def upload(name: str) -> None:
            client.upload_file(str(local / name), bucket, _key(prefix, name), ExtraArgs=extra)

        with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
            list(pool.map(upload, files))
        client.upload_file(str(manifest_path), bucket, manifest_key, ExtraArgs=extra)

        stale = sorted(existing - {_key(prefix, name) for name in files} - {manifest_key})
        for start in range(0, len(stale), 1000):  # DeleteObjects takes 1,000 keys a call
            batch = [{"Key": key} for key in stale[start : start + 1000]]
            client.delete_objects(
                Bucket=bucket, Delete={"Objects": batch, "Quiet": True}, **owner_arguments()
            )
    except (BotoCoreError, ClientError) as error:
        raise DatasetError(f"cannot publish to {uri}: {error}") from error
    return manifest


def remote_is_current(uri: str, options: Options, client: Any | None = None) -> bool:
    """Whether `uri` already holds the dataset these options and this generator make."""
    bucket, prefix = split_s3_uri(uri)
    try:
        manifest = read_remote_manifest(client or _client(), bucket, prefix)
    except (BotoCoreError, ClientError) as error:
        raise DatasetError(f"cannot read {uri}: {error}") from error
    if manifest is None:
        return False
    # The local rule, applied to the remote manifest.
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / MANIFEST_NAME).write_text(json.dumps(manifest))
        return is_current(Path(scratch), options)


def generate_to_s3(
    uri: str,
    options: Options,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict:
    """Generate the dataset in a temporary folder and publish it to `uri`."""
    split_s3_uri(uri)  # a bad URI or setting fails before minutes of generating
    upload_arguments()
    with tempfile.TemporaryDirectory(prefix="bank-dataset-") as scratch:
        local = Path(scratch) / "raw"
        generate(local, options, on_progress=on_progress)
        return publish(local, uri)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(
        "lending-publish",
        __doc__,
        epilog="Example: lending-publish data/raw s3://lending-lake/raw",
    )
    parser.add_argument("dataset", type=Path, help="a folder written by lending-generate")
    parser.add_argument("uri", help="destination, s3://bucket/prefix")
    args = parser.parse_args(argv)
    try:
        manifest = publish(args.dataset, args.uri)
    except DatasetError as error:
        return cli.fail(parser.prog, error)
    print(f"Published {len(manifest['files'])} files from {args.dataset} to {args.uri}.")
    return 0
