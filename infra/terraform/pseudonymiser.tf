# Borrower pseudonyms on Redshift. Redshift SQL has no HMAC, so the pseudonym is a Lambda
# UDF: the external function pseudonymisation.pseudonym_<name>(varchar) (created in
# redshift_grants.tf) calls a function that holds the key and returns its HMAC-SHA256
# (pseudonymiser/handler.py, tested in tests/python/infra/test_pseudonymiser.py). The key
# never enters the warehouse, and dbt on Redshift never sees it: it names the SQL function
# (REDSHIFT_PSEUDONYM_FUNCTION, outputs.tf) and nothing else.
#
# Two functions of one source, each with a key of its own (secrets.tf): production's, which
# only the deploy identity may call, and CI's, which only slim CI may call, so a pull
# request's build never computes production's pseudonyms. Redshift calls each through an
# invoker role of its own, which may invoke that function only, and which Redshift assumes
# only for the admin and that function's caller (sts:ExternalId, as the Spectrum role).

locals {
  pseudonymisers = {
    production = {
      function_name = "${local.name}-pseudonym-production"
      sql_function  = "pseudonymisation.pseudonym_production"
      caller        = local.role_names.orchestrator
    }
    ci = {
      function_name = "${local.name}-pseudonym-ci"
      sql_function  = "pseudonymisation.pseudonym_ci"
      caller        = local.role_names.ci
    }
  }
  # Rows per call of a pseudonym function (redshift_grants.tf): 10,000 results are about
  # 670 KB, a tenth of what Lambda returns.
  pseudonym_batch_rows = 10000
}

data "archive_file" "pseudonymiser" {
  type        = "zip"
  source_file = "${path.module}/pseudonymiser/handler.py"
  output_path = "${path.module}/.build/pseudonymiser.zip"
}

resource "aws_cloudwatch_log_group" "pseudonymiser" {
  for_each = local.pseudonymisers

  name              = "/aws/lambda/${each.value.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this["monitoring"].arn
}

resource "aws_lambda_function" "pseudonymiser" {
  #checkov:skip=CKV_AWS_116:Redshift invokes it synchronously and fails the query on an error; a dead-letter queue receives only asynchronous invocations.
  #checkov:skip=CKV_AWS_272:Deployed by Terraform from this repository's reviewed source; no signing profile exists for a one-file function.
  for_each = local.pseudonymisers

  function_name    = each.value.function_name
  description      = "Borrower pseudonyms (HMAC-SHA256) for ${each.value.sql_function}"
  role             = aws_iam_role.this["pseudonymiser_${each.key}"].arn
  runtime          = "python3.12"
  handler          = "handler.handler"
  filename         = data.archive_file.pseudonymiser.output_path
  source_code_hash = data.archive_file.pseudonymiser.output_base64sha256
  timeout          = 30
  memory_size      = 256
  kms_key_arn      = aws_kms_key.this["monitoring"].arn
  # Redshift retries a throttled call (RETRY_TIMEOUT), so a limit slows a build rather than
  # failing it, and keeps a runaway query from taking the account's concurrency.
  reserved_concurrent_executions = var.pseudonymiser_concurrency

  environment {
    variables = {
      PSEUDONYMISATION_SECRET_ARN = aws_secretsmanager_secret.pseudonymisation_key[each.key].arn
    }
  }

  # In the private subnets: it reaches Secrets Manager through its interface endpoint and
  # nothing else (network.tf).
  vpc_config {
    subnet_ids         = [for subnet in aws_subnet.private : subnet.id]
    security_group_ids = [aws_security_group.pseudonymisers.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.pseudonymiser[each.key].name
  }
}

# --- Execution roles: each reads its own key ---------------------------------------------

data "aws_iam_policy_document" "pseudonymiser_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "pseudonymiser" {
  for_each = local.pseudonymisers

  source_policy_documents = [
    data.aws_iam_policy_document.key_use["decrypt_the_pseudonymisation_key"].json,
    data.aws_iam_policy_document.key_use["decrypt_its_function_environment"].json,
  ]

  statement {
    sid       = "ReadItsKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.pseudonymisation_key[each.key].arn]
  }

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.pseudonymiser[each.key].arn}:*"]
  }

  # What Lambda needs to place the function in the VPC (Lambda Developer Guide, "Giving
  # Lambda functions access to resources in an Amazon VPC"): the network interfaces of
  # this account and region, and describing them, which supports no resource ARN.
  statement {
    sid = "ManageItsNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:*/*"]
  }

  statement {
    sid       = "DescribeItsNetworkInterfaces"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"] # allow-listed: EC2's Describe actions support no resource ARN
  }

  # Active tracing: Lambda records each invocation's segment with the function's role.
  statement {
    sid       = "SendItsTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # allow-listed: X-Ray's write actions support no resource ARN
  }
}

# --- Invoker roles: Redshift calls each function with its own ----------------------------

# As the Spectrum role's (iam_redshift.tf): an IAM role attached to the warehouse is
# usable by every database user unless its trust names the users, whose ARNs Redshift
# passes as the external id. The admin creates the external function; the caller runs it.
data "aws_iam_policy_document" "pseudonym_invoker_trust" {
  for_each = local.pseudonymisers

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "sts:ExternalId"
      values = [
        "${local.workgroup_db_user_arn}/${var.admin_username}",
        "${local.workgroup_db_user_arn}/IAMR:${each.value.caller}",
      ]
    }
  }
}

data "aws_iam_policy_document" "pseudonym_invoker" {
  for_each = local.pseudonymisers

  statement {
    sid       = "InvokeItsPseudonymiser"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.pseudonymiser[each.key].arn]
  }
}
