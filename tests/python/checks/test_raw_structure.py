"""The raw structure check on shapes the partition layout does not have, and on an S3 lake
(moto's server on loopback): the same problems, each naming its folder or object, whether
the delivery is a folder or an S3 prefix, and never a crash."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import boto3
import pytest

from lending.checks import raw_structure
from lending.generator.dataset import DatasetError, Options, generate
from lending.publish.s3 import publish

OWNER = "123456789012"  # moto's account
DEEPER = "transactions/year=2022/month=01/extra/x.parquet"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("structure") / "raw"
    generate(output, Options(seed=3, transactions=2_000))
    return output


def deeper_than_the_layout(raw: Path) -> Path:
    """A Parquet file one folder below a month's partition: a valid file, a wrong place."""
    month = raw / "transactions" / "year=2022" / "month=01"
    (month / "extra").mkdir()
    shutil.copy2(month / "part-0.parquet", raw / DEEPER)
    return month / "extra"


def test_a_folder_below_the_partitions_is_a_problem_naming_it(
    dataset: Path, tmp_path: Path
) -> None:
    """It used to raise IndexError (the layout has no level for it)."""
    raw = tmp_path / "raw"
    shutil.copytree(dataset, raw)
    extra = deeper_than_the_layout(raw)

    (problem,) = raw_structure.problems(raw, raw_structure.load_tables())

    assert problem.startswith(f"{extra}: unexpected folder")
    assert "partitions of transactions are named year=YYYY/month=MM" in problem


def test_the_command_reports_it_and_fails(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(dataset, raw)
    extra = deeper_than_the_layout(raw)
    assert raw_structure.main([str(raw)]) == 1
    assert f"{extra}: unexpected folder" in capsys.readouterr().err


def client(s3_env: dict[str, str]):
    return boto3.client(
        "s3",
        endpoint_url=s3_env["AWS_ENDPOINT_URL_S3"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def s3_lake(
    s3_env: dict[str, str], dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, object]:
    """The dataset published to a fresh bucket, as the lake's s3:// URI, and a client."""
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BANK_LAKE_BUCKET_OWNER", OWNER)
    s3 = client(s3_env)
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    publish(dataset, f"s3://{bucket}/raw", client=s3)
    return f"s3://{bucket}/raw", s3


def test_an_s3_lake_is_checked_like_the_folder_it_was_published_from(
    s3_lake: tuple[str, object], dataset: Path
) -> None:
    uri, s3 = s3_lake
    sent: list[dict] = []
    s3.meta.events.register("before-sign.s3.*", lambda request, **_: sent.append(request.headers))
    lake = raw_structure.S3Prefix(uri, client=s3)
    for table in raw_structure.load_tables():
        problems, files, rows = raw_structure.check_table(lake, table)
        assert (problems, files, rows) == raw_structure.check_table(dataset, table)
        assert files > 0 and problems == []
    # Footers only, by ranged reads, and the expected owner on every request.
    assert sent and all(headers.get("x-amz-expected-bucket-owner") == OWNER for headers in sent)
    assert all(headers.get("Range") for headers in sent[1:])


def test_an_s3_lake_s_faults_are_named_by_their_objects(s3_lake: tuple[str, object]) -> None:
    uri, s3 = s3_lake
    bucket = uri.removeprefix("s3://").split("/")[0]
    good = s3.get_object(Bucket=bucket, Key="raw/transactions/year=2022/month=01/part-0.parquet")
    s3.put_object(Bucket=bucket, Key=f"raw/{DEEPER}", Body=good["Body"].read())
    truncated = "raw/economic_indicators/year=2020/part-0.parquet"
    s3.put_object(Bucket=bucket, Key=truncated, Body=b"PAR1 not really")

    problems = raw_structure.lake_problems(
        raw_structure.S3Prefix(uri, client=s3), raw_structure.load_tables()
    )

    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{uri}/transactions/year=2022/month=01/extra: unexpected")
    assert problems[1].startswith(f"s3://{bucket}/{truncated}: cannot be read as Parquet")


def test_an_s3_lake_without_its_owner_is_refused(
    s3_lake: tuple[str, object], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    uri, s3 = s3_lake
    monkeypatch.delenv("BANK_LAKE_BUCKET_OWNER")
    with pytest.raises(DatasetError, match="BANK_LAKE_BUCKET_OWNER is not set"):
        raw_structure.S3Prefix(uri, client=s3)
    assert raw_structure.main([uri]) == 1
    assert "BANK_LAKE_BUCKET_OWNER is not set" in capsys.readouterr().err


def test_the_command_checks_an_s3_lake(
    s3_lake: tuple[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    uri, _ = s3_lake
    assert raw_structure.main([uri]) == 0
    assert "Raw data structure OK: " in capsys.readouterr().out
