# Statements more than one policy has, written once and composed into each through
# source_policy_documents: the roles' (iam_ci.tf, iam_orchestrator.tf, iam_redshift.tf)
# and the buckets' and the alerts topic's (s3.tf, monitoring.tf).

data "aws_iam_policy_document" "sign_in_to_the_workgroup" {
  statement {
    sid       = "SignInToTheWorkgroup"
    actions   = ["redshift-serverless:GetCredentials"]
    resources = [aws_redshiftserverless_workgroup.warehouse.arn]
  }
}

# The lake's objects are encrypted with the data key: whoever reads them decrypts through
# S3, never directly.
data "aws_iam_policy_document" "decrypt_the_lake_through_s3" {
  statement {
    sid       = "DecryptTheLakeThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this["data"].arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "read_the_raw_deliveries" {
  source_policy_documents = [data.aws_iam_policy_document.decrypt_the_lake_through_s3.json]

  statement {
    sid       = "ReadTheRawDeliveries"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${var.raw_prefix}/*"]
  }
}

# Every resource policy here denies requests without TLS: what each one's statement covers.
locals {
  tls_only = {
    lake         = { actions = ["s3:*"], resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"] }
    logs         = { actions = ["s3:*"], resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"] }
    alerts_topic = { actions = ["sns:Publish"], resources = [aws_sns_topic.alerts.arn] }
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.tls_only

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = each.value.actions
    resources = each.value.resources
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
