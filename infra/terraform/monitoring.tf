# Alerts on the run metrics the orchestration publishes after every build. The metric
# contract (namespace, names, dimensions) is scripts/lending/monitoring/metrics.py; the
# tests in tests/python/infra fail when these alarms and the dashboard drift from it.
# Every metric carries Environment, so dev builds never page for prod.
#
# The builds are monthly (one DAG run per delivery), so each alarm looks at the hour of a
# build and treats the hours without one as fine; a build that never happens is the
# watchdog's job (watchdog.tf), as a CloudWatch alarm can look back seven days at most.
# No OK notifications: an alarm returns to OK an hour after the build whether or not
# anything was fixed, so an "OK" would only mislead.

locals {
  metrics_namespace = "LendingResearch/Pipeline"
  # Values of the Source dimension of RejectedShare: the bank source's tables.
  rejected_share_sources = ["transactions", "economic_indicators", "demographics", "loans"]
  alarm_period_seconds   = 3600
}

# --- Alerts topic -----------------------------------------------------------------------

resource "aws_sns_topic" "alerts" {
  name              = "${local.name}-alerts"
  display_name      = "Lending research ${var.environment} alerts"
  kms_master_key_id = aws_kms_key.this["monitoring"].arn
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

# The orchestrator and the watchdog publish with their own roles' policies (publish_alerts,
# iam_shared.tf): in one account either policy suffices, so the topic's names only the
# service.
data "aws_iam_policy_document" "alerts_topic" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["alerts_topic"].json]

  statement {
    sid       = "CloudWatchAlarmsOfThisAccountPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name}-*"]
    }
  }

}

resource "aws_sns_topic_subscription" "alert_emails" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- Alarms -----------------------------------------------------------------------------

# One alarm per metric of the whole build, by name; RejectedShare has one per source (below).
locals {
  build_alarms = {
    build-failed = {
      description = "A ${var.environment} build failed (BuildSucceeded 0): dbt or a check failed, nothing was published. See the DAG run's logs."
      metric      = "BuildSucceeded"
      statistic   = "Minimum"
      comparison  = "LessThanThreshold"
      threshold   = 1
    }
    tests-failed = {
      description = "dbt tests failed or errored in a ${var.environment} build (TestsFailed > 0): see run_results.json of the run."
      metric      = "TestsFailed"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
    }
    stale-sources = {
      description = "A source failed its freshness check in a ${var.environment} build (StaleSourceCount > 0): a delivery is late or incomplete."
      metric      = "StaleSourceCount"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "build" {
  for_each = local.build_alarms

  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.metrics_namespace
  metric_name         = each.value.metric
  dimensions          = { Environment = var.environment }
  statistic           = each.value.statistic
  period              = local.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "rejected_share" {
  for_each = toset(local.rejected_share_sources)

  alarm_name          = "${local.name}-rejected-share-${each.key}"
  alarm_description   = "More than ${var.max_rejected_share * 100}% of a month's ${each.key} rows were rejected in a ${var.environment} build (the dbt var max_rejected_share): see fct_data_quality_monthly."
  namespace           = local.metrics_namespace
  metric_name         = "RejectedShare"
  dimensions          = { Environment = var.environment, Source = each.key }
  statistic           = "Maximum"
  period              = local.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_rejected_share
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# The production pseudonym function (pseudonymiser.tf): a crash or a timeout (Errors), or
# calls beyond its reserved concurrency (Throttles: Redshift retries them, and a build that
# runs out of retries fails). A key it refuses is not an Error: the function answers
# success false, the query and so the build fail, and build-failed alerts. Slim CI's
# function alerts nobody: its failures fail the pull request's job.
locals {
  pseudonymiser_alarms = {
    errors = {
      metric      = "Errors"
      description = "The ${var.environment} pseudonym function crashed or timed out: see its log group (/aws/lambda/${local.pseudonymisers.production.function_name})."
    }
    throttles = {
      metric      = "Throttles"
      description = "The ${var.environment} pseudonym function was throttled: builds slow down and may fail; raise pseudonymiser_concurrency if it recurs."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "pseudonymiser" {
  for_each = local.pseudonymiser_alarms

  alarm_name          = "${local.name}-pseudonymiser-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.pseudonymiser["production"].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# --- Dashboard --------------------------------------------------------------------------

locals {
  # A month of builds at a glance: one point a day.
  dashboard_period = 86400
  # The metric graphs, two to a row in this order, each the maximum of its metrics unless
  # it says otherwise; the alarms below them (dashboard_widgets).
  dashboard_graphs = [
    {
      title   = "Build succeeded (1) or failed (0)"
      stat    = "Minimum"
      metrics = [[local.metrics_namespace, "BuildSucceeded", "Environment", var.environment]]
    },
    {
      title = "Build duration (s) and models built"
      metrics = [
        [local.metrics_namespace, "BuildDurationSeconds", "Environment", var.environment],
        [local.metrics_namespace, "ModelsBuilt", "Environment", var.environment, { yAxis = "right" }],
      ]
    },
    {
      title = "Tests passed, warned and failed"
      metrics = [
        [local.metrics_namespace, "TestsPassed", "Environment", var.environment],
        [local.metrics_namespace, "TestsWarned", "Environment", var.environment],
        [local.metrics_namespace, "TestsFailed", "Environment", var.environment],
      ]
    },
    {
      title = "Rejected share per source (alarm above the line)"
      metrics = [
        for source in local.rejected_share_sources :
        [local.metrics_namespace, "RejectedShare", "Environment", var.environment, "Source", source]
      ]
      annotations = { horizontal = [{ label = "max_rejected_share", value = var.max_rejected_share }] }
    },
    {
      title = "Rows in each public mart"
      # Every mart the build reports, without listing them here.
      metrics = [[{
        expression = "SEARCH('{${local.metrics_namespace},Environment,Mart} MetricName=\"MartRows\" Environment=\"${var.environment}\"', 'Maximum', ${local.dashboard_period})"
        id         = "mart_rows"
      }]]
    },
    {
      title   = "Stale sources"
      metrics = [[local.metrics_namespace, "StaleSourceCount", "Environment", var.environment]]
    },
  ]
  dashboard_widgets = concat(
    [
      for index, graph in local.dashboard_graphs : {
        type = "metric", x = index % 2 * 12, y = floor(index / 2) * 6, width = 12, height = 6
        properties = merge(
          { region = local.region, view = "timeSeries", stat = "Maximum", period = local.dashboard_period },
          graph,
        )
      }
    ],
    [{
      type = "alarm", x = 0, y = ceil(length(local.dashboard_graphs) / 2) * 6, width = 24, height = 4
      properties = {
        title = "Alarms"
        alarms = concat(
          [for alarm in aws_cloudwatch_metric_alarm.build : alarm.arn],
          [for alarm in aws_cloudwatch_metric_alarm.rejected_share : alarm.arn],
          [for alarm in aws_cloudwatch_metric_alarm.pseudonymiser : alarm.arn],
        )
      }
    }],
  )
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${local.name}-pipeline"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
