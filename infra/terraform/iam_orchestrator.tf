# The orchestrator (Airflow, issue 12) assumes this role to run the production pipeline:
# wait for the month's delivery, run dbt on the workgroup (it is the deploy identity, see
# redshift_grants.tf), publish the dbt artifacts and the run metrics, alert on failure.
# Not the pseudonymisation key: on Redshift the warehouse asks a function that holds it
# (pseudonymiser.tf), so neither the workers nor dbt ever read it.

data "aws_iam_policy_document" "orchestrator_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.orchestrator_principal_arns
    }
  }
}

data "aws_iam_policy_document" "orchestrator" {
  source_policy_documents = [
    data.aws_iam_policy_document.sign_in_to_the_workgroup.json,
    data.aws_iam_policy_document.read_the_raw_deliveries.json,
    data.aws_iam_policy_document.publish_alerts.json, # the DAG's failure callback
    data.aws_iam_policy_document.key_use["decrypt_the_lake"].json,
    data.aws_iam_policy_document.key_use["encrypt_the_artifacts"].json,
    data.aws_iam_policy_document.key_use["encrypt_for_the_alerts_topic"].json,
  ]

  # The delivery sensor lists the month's prefix and reads its _manifest.json.
  statement {
    sid       = "ListTheRawAndArtifactsPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.raw_prefix}/*", "${var.artifacts_prefix}/*"]
    }
  }

  statement {
    sid       = "PublishTheDbtArtifacts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${var.artifacts_prefix}/*"]
  }

  # PutMetricData has no resource-level permissions: AWS requires "*". The condition keeps
  # the role to the pipeline's own namespace.
  statement {
    sid       = "PublishTheRunMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # allow-listed: PutMetricData supports no resource ARN
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.metrics_namespace]
    }
  }
}
