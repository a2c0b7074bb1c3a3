"""The failure alert: a log line always, and a message to the SNS topic in production.

Airflow calls it when a task has failed for good (after its retries). The message says
which DAG, task and month failed, why, and where the log is.
"""

from __future__ import annotations

import logging
from typing import Any

from monthly_delivery.config import AWS_CONN_ID, load

log = logging.getLogger(__name__)


def describe(context: Any) -> tuple[str, str]:
    """The alert's subject and message."""
    ti = context["ti"]
    month = context["data_interval_start"].strftime("%Y-%m")
    subject = f"{ti.dag_id}: {ti.task_id} failed for the {month} delivery"
    message = (
        f"{subject} (run {context['run_id']}, try {ti.try_number}).\n"
        f"Error: {context.get('exception')}\n"
        f"Log: {getattr(ti, 'log_url', '') or 'in the task log'}"
    )
    return subject, message


def alert_on_failure(context: Any) -> None:
    subject, message = describe(context)
    log.error("ALERT %s", message)
    topic = load().sns_topic_arn
    if topic is None:
        return
    from airflow.providers.amazon.aws.hooks.sns import SnsHook

    # SNS subjects are at most 100 characters.
    SnsHook(aws_conn_id=AWS_CONN_ID).publish_to_target(topic, message, subject=subject[:100])
    log.info("Alert sent to %s", topic)
