# The "no build" alert. Builds are monthly, and a CloudWatch alarm looks back at most seven
# days (period x evaluation periods <= 604,800 s), so "missing data is breaching" cannot
# express "nothing for a month". A small function, run daily by EventBridge Scheduler,
# counts the BuildSucceeded data points of the last max_days_without_build days and
# publishes to the alerts topic when there are none (watchdog/build_watchdog.py, tested in
# tests/python/infra against moto).

locals {
  watchdog_name = "${local.name}-build-watchdog"
}

data "archive_file" "watchdog" {
  type        = "zip"
  source_file = "${path.module}/watchdog/build_watchdog.py"
  output_path = "${path.module}/.build/build_watchdog.zip"
}

resource "aws_cloudwatch_log_group" "watchdog" {
  name              = "/aws/lambda/${local.watchdog_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this["monitoring"].arn
}

resource "aws_lambda_function" "watchdog" {
  #checkov:skip=CKV_AWS_117:It calls two regional APIs (CloudWatch, SNS) and reaches nothing private; in the VPC it would need two more interface endpoints for no gain.
  #checkov:skip=CKV_AWS_116:Invoked by EventBridge Scheduler, whose retry policy covers a failed run; a missed check is repeated the next day anyway.
  #checkov:skip=CKV_AWS_272:Deployed by Terraform from this repository's reviewed source; no signing profile exists for a one-file function.
  #checkov:skip=CKV_AWS_50:One API call a day; X-Ray tracing would cost a permission with a "*" resource for nothing to trace.
  function_name                  = local.watchdog_name
  description                    = "Alerts when no ${var.environment} build has reported in ${var.max_days_without_build} days"
  role                           = aws_iam_role.this["watchdog"].arn
  runtime                        = "python3.12"
  handler                        = "build_watchdog.handler"
  filename                       = data.archive_file.watchdog.output_path
  source_code_hash               = data.archive_file.watchdog.output_base64sha256
  timeout                        = 30
  memory_size                    = 128
  reserved_concurrent_executions = 1
  kms_key_arn                    = aws_kms_key.this["monitoring"].arn

  environment {
    variables = {
      METRICS_NAMESPACE      = local.metrics_namespace
      BUILD_METRIC           = "BuildSucceeded"
      ENVIRONMENT            = var.environment
      MAX_DAYS_WITHOUT_BUILD = var.max_days_without_build # Terraform makes it a string
      ALERTS_TOPIC_ARN       = aws_sns_topic.alerts.arn
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.watchdog.name
  }
}

data "aws_iam_policy_document" "watchdog_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "watchdog" {
  source_policy_documents = [
    data.aws_iam_policy_document.publish_alerts.json,
    data.aws_iam_policy_document.key_use["encrypt_for_the_alerts_topic"].json,
    data.aws_iam_policy_document.key_use["decrypt_its_function_environment"].json,
  ]

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.watchdog.arn}:*"]
  }

  # CloudWatch metric reads have no resource-level permissions: AWS requires "*".
  statement {
    sid       = "CountTheBuilds"
    actions   = ["cloudwatch:GetMetricStatistics"]
    resources = ["*"] # allow-listed: GetMetricStatistics supports no resource ARN
  }
}

# --- Daily schedule -----------------------------------------------------------------------

resource "aws_scheduler_schedule" "watchdog" {
  #checkov:skip=CKV_AWS_297:The schedule carries no data (its input is empty), so a customer managed key would protect nothing.
  name                         = local.watchdog_name
  description                  = "Runs the build watchdog once a day"
  schedule_expression          = "cron(0 7 * * ? *)"
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.watchdog.arn
    role_arn = aws_iam_role.this["watchdog_schedule"].arn

    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }
  }
}

data "aws_iam_policy_document" "watchdog_schedule_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "watchdog_schedule" {
  statement {
    sid       = "InvokeTheWatchdog"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.watchdog.arn]
  }
}
