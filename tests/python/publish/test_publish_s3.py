"""Publishing the dataset to S3, against a real S3-compatible server on loopback (moto's
server mode), read back with pyarrow's S3 filesystem the way a lake reader would."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pyarrow.dataset as ds
import pytest
from pyarrow import fs

from conftest import PROJECT_ROOT, command
from lending.generator.dataset import Options, generate
from lending.publish.s3 import publish, upload_arguments

PUBLISH = command("lending-publish")
GENERATOR = command("lending-generate")
SEED = 5
TRANSACTIONS = 2_000


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )


@pytest.fixture
def bucket(s3_env: dict[str, str]) -> str:
    """A fresh bucket per test, so tests never see each other's objects."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    s3(s3_env).create_bucket(Bucket=name)
    return name


def s3(s3_env: dict[str, str]):
    """A client of the loopback server (boto3 clients have no static type)."""
    return boto3.client(
        "s3",
        endpoint_url=s3_env["AWS_ENDPOINT_URL_S3"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def keys(s3_env: dict[str, str], bucket: str) -> set[str]:
    listed = s3(s3_env).list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"] for item in listed}


@pytest.fixture(scope="module")
def local_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same options generated locally: what the lake must hold, byte for byte."""
    output = tmp_path_factory.mktemp("local") / "raw"
    generate(output, Options(seed=SEED, transactions=TRANSACTIONS))
    return output


@pytest.mark.slow
def test_generator_publishes_the_dataset_and_it_reads_back(
    s3_env: dict[str, str], bucket: str, local_dataset: Path
) -> None:
    uri = f"s3://{bucket}/lake/raw"
    options = ("--seed", str(SEED), "--transactions", str(TRANSACTIONS))
    result = run(GENERATOR, *options, "--output", uri, env=s3_env)
    assert result.returncode == 0, result.stderr
    assert f"rows to {uri}:" in result.stdout

    manifest = json.loads((local_dataset / "_manifest.json").read_text())
    expected = {f"lake/raw/{name}" for name in manifest["files"]} | {"lake/raw/_manifest.json"}
    assert keys(s3_env, bucket) == expected
    client = s3(s3_env)
    for name in manifest["files"]:
        body = client.get_object(Bucket=bucket, Key=f"lake/raw/{name}")["Body"].read()
        assert body == (local_dataset / name).read_bytes(), name

    # Read back as a Hive-partitioned dataset over S3, as Spectrum reads the same layout.
    endpoint = urlparse(s3_env["AWS_ENDPOINT_URL_S3"])
    s3fs = fs.S3FileSystem(
        access_key="testing",
        secret_key="testing",
        region="us-east-1",
        scheme=endpoint.scheme,
        endpoint_override=endpoint.netloc,
    )
    for table, rows in manifest["rows"].items():
        dataset = ds.dataset(
            f"{bucket}/lake/raw/{table}", filesystem=s3fs, format="parquet", partitioning="hive"
        )
        assert dataset.count_rows() == rows, table
        assert "year" in dataset.schema.names
    transactions = ds.dataset(
        f"{bucket}/lake/raw/transactions", filesystem=s3fs, format="parquet", partitioning="hive"
    ).to_table(columns=["transaction_id", "month"])
    assert sorted(set(transactions["month"].to_pylist())) == list(range(1, 13))
    assert transactions.num_rows == TRANSACTIONS

    again = run(GENERATOR, *options, "--output", uri, "--skip-if-current", env=s3_env)
    assert again.returncode == 0, again.stderr
    assert "is current" in again.stdout


@pytest.mark.slow
def test_republishing_removes_objects_the_new_manifest_does_not_list(
    s3_env: dict[str, str], bucket: str, local_dataset: Path
) -> None:
    uri = f"s3://{bucket}/raw"
    assert run(PUBLISH, str(local_dataset), uri, env=s3_env).returncode == 0
    stale = "raw/transactions/year=2030/month=01/part-0.parquet"
    s3(s3_env).put_object(Bucket=bucket, Key=stale, Body=b"left by an older dataset")
    result = run(PUBLISH, str(local_dataset), uri, env=s3_env)
    assert result.returncode == 0, result.stderr
    assert stale not in keys(s3_env, bucket)
    assert "raw/_manifest.json" in keys(s3_env, bucket)


@pytest.mark.slow
def test_a_prefix_not_written_by_us_is_left_alone(
    s3_env: dict[str, str], bucket: str, local_dataset: Path
) -> None:
    s3(s3_env).put_object(Bucket=bucket, Key="finance/ledger.csv", Body=b"id,amount\n")
    result = run(PUBLISH, str(local_dataset), f"s3://{bucket}/finance", env=s3_env)
    assert result.returncode == 1
    assert "refusing to publish" in result.stderr
    assert keys(s3_env, bucket) == {"finance/ledger.csv"}


def test_a_uri_without_a_bucket_is_refused_before_generating(s3_env: dict[str, str]) -> None:
    result = run(GENERATOR, "--output", "s3:///raw", env=s3_env)
    assert result.returncode == 1
    assert "names no bucket" in result.stderr


def test_a_missing_bucket_is_reported_by_name(s3_env: dict[str, str], local_dataset: Path) -> None:
    result = run(PUBLISH, str(local_dataset), "s3://no-such-bucket-here/raw", env=s3_env)
    assert result.returncode == 1
    assert "cannot publish to s3://no-such-bucket-here/raw" in result.stderr
    assert "NoSuchBucket" in result.stderr


# --- What the publisher refuses, and what every request carries -----------------------------


@pytest.mark.parametrize("uri", ["s3://{bucket}", "s3://{bucket}/", "s3://{bucket}//"])
def test_a_bucket_without_a_prefix_is_refused(
    s3_env: dict[str, str], bucket: str, local_dataset: Path, uri: str
) -> None:
    """At the bucket's root, "delete what the manifest does not list" is everything else."""
    s3(s3_env).put_object(Bucket=bucket, Key="finance/ledger.csv", Body=b"id,amount\n")
    for script, args in ((PUBLISH, [str(local_dataset)]), (GENERATOR, ["--output"])):
        result = run(script, *args, uri.format(bucket=bucket), env=s3_env)
        assert result.returncode == 1
        assert "names no prefix; the dataset needs a folder of its own" in result.stderr
    assert keys(s3_env, bucket) == {"finance/ledger.csv"}


@pytest.mark.parametrize("entry", ["/etc/hostname", "../outside.txt", "transactions/../../x"])
def test_a_manifest_entry_outside_the_dataset_is_never_uploaded(
    s3_env: dict[str, str], bucket: str, local_dataset: Path, tmp_path: Path, entry: str
) -> None:
    dataset = tmp_path / "raw"
    shutil.copytree(local_dataset, dataset)
    (tmp_path / "outside.txt").write_text("not part of the dataset")
    manifest = json.loads((dataset / "_manifest.json").read_text())
    manifest["files"][entry] = 1
    (dataset / "_manifest.json").write_text(json.dumps(manifest))
    result = run(PUBLISH, str(dataset), f"s3://{bucket}/raw", env=s3_env)
    assert result.returncode == 1
    assert f"lists {entry!r}, which is not a file of the dataset" in result.stderr
    assert keys(s3_env, bucket) == set()


@pytest.mark.slow
def test_a_prefix_with_our_manifest_and_objects_we_never_write_is_left_alone(
    s3_env: dict[str, str], bucket: str, local_dataset: Path
) -> None:
    assert run(PUBLISH, str(local_dataset), f"s3://{bucket}/raw", env=s3_env).returncode == 0
    s3(s3_env).put_object(Bucket=bucket, Key="raw/finance/ledger.csv", Body=b"id,amount\n")
    result = run(PUBLISH, str(local_dataset), f"s3://{bucket}/raw", env=s3_env)
    assert result.returncode == 1
    assert "it holds raw/finance/ledger.csv, which the generator never writes" in result.stderr
    assert "raw/finance/ledger.csv" in keys(s3_env, bucket)


def _captured_requests(client) -> list[tuple[str, dict[str, str]]]:
    """(operation, headers) of every request the client sends from now on."""
    sent: list[tuple[str, dict[str, str]]] = []

    def record(request, operation_name: str, **_: object) -> None:
        sent.append((operation_name, {k.lower(): str(v) for k, v in request.headers.items()}))

    client.meta.events.register("before-sign.s3.*", record)
    return sent


@pytest.mark.slow
def test_uploads_ask_for_kms_and_every_request_names_the_bucket_owner(
    s3_env: dict[str, str], bucket: str, local_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    monkeypatch.setenv("BANK_LAKE_KMS_KEY_ID", key_arn)
    monkeypatch.setenv("BANK_LAKE_BUCKET_OWNER", "123456789012")
    client = s3(s3_env)
    # A stale object, so that the run lists, reads, uploads and deletes.
    publish(local_dataset, f"s3://{bucket}/raw", client=client)
    client.put_object(Bucket=bucket, Key="raw/transactions/year=2030/month=01/part-0.parquet")
    sent = _captured_requests(client)

    publish(local_dataset, f"s3://{bucket}/raw", client=client)

    operations = {operation for operation, _ in sent}
    assert {"ListObjectsV2", "GetObject", "PutObject", "DeleteObjects"} <= operations
    for operation, headers in sent:
        assert headers.get("x-amz-expected-bucket-owner") == "123456789012", operation
    uploads = [headers for operation, headers in sent if operation == "PutObject"]
    assert (
        len(uploads) == len(json.loads((local_dataset / "_manifest.json").read_text())["files"]) + 1
    )
    for headers in uploads:
        assert headers["x-amz-server-side-encryption"] == "aws:kms"
        assert headers["x-amz-server-side-encryption-aws-kms-key-id"] == key_arn
    stored = client.head_object(Bucket=bucket, Key="raw/_manifest.json")
    assert stored["ServerSideEncryption"] == "aws:kms"


def test_without_a_key_id_uploads_still_ask_for_kms(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bucket's default key then; the bucket policy refuses uploads without the header."""
    monkeypatch.delenv("BANK_LAKE_KMS_KEY_ID", raising=False)
    monkeypatch.setenv("BANK_LAKE_BUCKET_OWNER", "123456789012")
    assert upload_arguments() == {
        "ServerSideEncryption": "aws:kms",
        "ExpectedBucketOwner": "123456789012",
    }


def test_without_the_bucket_owner_nothing_is_generated_or_sent(
    s3_env: dict[str, str], bucket: str
) -> None:
    """Bucket names are global: without the lake account's id a request could reach a
    bucket of the same name in another account, so none is made (it used to be optional)."""
    env = {k: v for k, v in s3_env.items() if k != "BANK_LAKE_BUCKET_OWNER"}
    result = run(GENERATOR, "--output", f"s3://{bucket}/raw", env=env)
    assert result.returncode == 1
    assert "BANK_LAKE_BUCKET_OWNER is not set" in result.stderr
    assert keys(s3_env, bucket) == set()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("BANK_LAKE_BUCKET_OWNER", "12345"), ("BANK_LAKE_KMS_KEY_ID", "key'; drop")],
)
def test_a_malformed_owner_or_key_is_refused_before_generating(
    s3_env: dict[str, str], bucket: str, variable: str, value: str
) -> None:
    result = run(GENERATOR, "--output", f"s3://{bucket}/raw", env=dict(s3_env, **{variable: value}))
    assert result.returncode == 1
    assert f"{variable} must be" in result.stderr
    assert keys(s3_env, bucket) == set()
