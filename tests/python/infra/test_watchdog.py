"""The build watchdog (infra/terraform/watchdog/build_watchdog.py), run against moto's
CloudWatch and SNS with the settings Terraform gives the function."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from types import ModuleType

import boto3
import pytest
from moto import mock_aws
from terraform_config import TERRAFORM_DIR, load, resolve

from lending.monitoring.metrics import ENVIRONMENT_DIMENSION, NAMESPACE

REGION = "eu-west-1"


def watchdog_module() -> ModuleType:
    """The function's source as Lambda runs it: a file of its own, not part of the package."""
    path = TERRAFORM_DIR / "watchdog" / "build_watchdog.py"
    spec = importlib.util.spec_from_file_location("build_watchdog", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def alerts(aws, monkeypatch: pytest.MonkeyPatch):
    """The function's environment as watchdog.tf sets it (environment prod, the default
    number of days), and a queue subscribed to the alerts topic to read what it sends."""
    topic = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    boto3.client("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"]
    )
    config = load()
    variables = config.of_type("aws_lambda_function")["watchdog"]["environment"][0]["variables"]
    settings = {name: resolve(config, value) for name, value in variables.items()}
    settings.update(ENVIRONMENT="prod", ALERTS_TOPIC_ARN=topic)
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))

    def received() -> list[str]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
        return [json.loads(m["Body"])["Message"] for m in messages.get("Messages", [])]

    return settings, received


def publish_build(environment: str, days_ago: float) -> None:
    boto3.client("cloudwatch").put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": "BuildSucceeded",
                "Dimensions": [{"Name": ENVIRONMENT_DIMENSION, "Value": environment}],
                "Timestamp": datetime.now(UTC) - timedelta(days=days_ago),
                "Value": 0,  # a failed build is still a build: it has its own alarm
            }
        ],
    )


def test_terraform_gives_it_the_contract_and_a_month(alerts):
    settings, _ = alerts
    assert settings["METRICS_NAMESPACE"] == NAMESPACE
    assert settings["BUILD_METRIC"] == "BuildSucceeded"
    assert int(settings["MAX_DAYS_WITHOUT_BUILD"]) == 35


def test_a_recent_build_raises_no_alert(alerts):
    _, received = alerts
    publish_build("prod", days_ago=20)
    result = watchdog_module().handler({}, None)
    assert result == {"environment": "prod", "days": 35, "builds": 1, "alerted": False}
    assert received() == []


@pytest.mark.parametrize(
    ("environment", "days_ago"),
    [("prod", 40), ("dev", 1)],
    ids=["last-build-too-old", "only-another-environment"],
)
def test_no_build_in_the_window_alerts(alerts, environment, days_ago):
    _, received = alerts
    publish_build(environment, days_ago=days_ago)
    result = watchdog_module().handler({}, None)
    assert result["alerted"] is True and result["builds"] == 0
    [message] = received()
    assert "No prod build has reported BuildSucceeded" in message
    assert "last 35 days" in message
