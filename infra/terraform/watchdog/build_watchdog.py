"""The build watchdog: alerts when no build has reported for longer than a delivery cycle.

Runs daily as an AWS Lambda function (infra/terraform/watchdog.tf). A CloudWatch alarm
cannot see this: it looks back seven days at most, and builds are monthly. So the function
counts the BuildSucceeded data points of the last MAX_DAYS_WITHOUT_BUILD days, failed
builds included (those have their own alarm), and publishes to the alerts topic when there
are none. It repeats daily until a build reports again.

Settings come from the function's environment: METRICS_NAMESPACE, BUILD_METRIC,
ENVIRONMENT, MAX_DAYS_WITHOUT_BUILD, ALERTS_TOPIC_ARN. boto3 is in the Lambda runtime.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

DAY_SECONDS = 86400


def builds_since(
    cloudwatch: Any, namespace: str, metric: str, environment: str, days: int, now: datetime
) -> int:
    """How many builds reported `metric` in the `days` before `now`."""
    response = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": "Environment", "Value": environment}],
        StartTime=now - timedelta(days=days),
        EndTime=now,
        Period=DAY_SECONDS,
        Statistics=["SampleCount"],
    )
    return int(sum(point["SampleCount"] for point in response["Datapoints"]))


def handler(event: dict, context: Any) -> dict:
    settings = os.environ
    environment = settings["ENVIRONMENT"]
    days = int(settings["MAX_DAYS_WITHOUT_BUILD"])
    builds = builds_since(
        boto3.client("cloudwatch"),
        settings["METRICS_NAMESPACE"],
        settings["BUILD_METRIC"],
        environment,
        days,
        datetime.now(UTC),
    )
    if builds == 0:
        boto3.client("sns").publish(
            TopicArn=settings["ALERTS_TOPIC_ARN"],
            Subject=f"Lending research {environment}: no build in {days} days",
            Message=(
                f"No {environment} build has reported {settings['BUILD_METRIC']} to "
                f"{settings['METRICS_NAMESPACE']} in the last {days} days: the monthly "
                "delivery was not processed. Check the orchestrator (is the DAG running, did "
                "its delivery sensor time out?) and whether the bank delivered."
            ),
        )
    return {"environment": environment, "days": days, "builds": builds, "alerted": builds == 0}
