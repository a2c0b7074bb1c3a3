# Statements more than one policy has, written once and composed into each through
# source_policy_documents: the roles' (iam_ci.tf, iam_orchestrator.tf, iam_redshift.tf,
# pseudonymiser.tf, watchdog.tf) and the buckets' and the alerts topic's (s3.tf, monitoring.tf).

data "aws_iam_policy_document" "sign_in_to_the_workgroup" {
  statement {
    sid       = "SignInToTheWorkgroup"
    actions   = ["redshift-serverless:GetCredentials"]
    resources = [aws_redshiftserverless_workgroup.warehouse.arn]
  }
}

# A role uses a key (kms.tf) only through the service that keeps what the key encrypts,
# never directly: each use is the key, the actions and that service (kms:ViaService). A
# use is composed into the role's own policy, not into a shared document below, so the
# role's file lists every key it uses. tests/python/infra checks both, and that no other
# identity policy statement names a kms: action.
locals {
  key_uses = {
    decrypt_the_lake = {
      sid = "DecryptTheLakeThroughS3", key = "data", service = "s3", actions = ["kms:Decrypt"]
    }
    encrypt_the_artifacts = {
      sid = "EncryptTheArtifactsThroughS3", key = "data", service = "s3", actions = ["kms:GenerateDataKey"]
    }
    decrypt_the_pseudonymisation_key = {
      sid = "DecryptItThroughSecretsManager", key = "pseudonymisation", service = "secretsmanager", actions = ["kms:Decrypt"]
    }
    encrypt_for_the_alerts_topic = {
      sid = "EncryptForTheAlertsTopic", key = "monitoring", service = "sns", actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    }
    # Lambda decrypts a function's environment with its execution role's permission.
    decrypt_its_function_environment = {
      sid = "DecryptItsEnvironment", key = "monitoring", service = "lambda", actions = ["kms:Decrypt"]
    }
  }
}

data "aws_iam_policy_document" "key_use" {
  for_each = local.key_uses

  statement {
    sid       = each.value.sid
    actions   = each.value.actions
    resources = [aws_kms_key.this[each.value.key].arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["${each.value.service}.${local.region}.amazonaws.com"]
    }
  }
}

# The lake's objects are encrypted with the data key: a role that reads them also lists
# key_use["decrypt_the_lake"].
data "aws_iam_policy_document" "read_the_raw_deliveries" {
  statement {
    sid       = "ReadTheRawDeliveries"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${var.raw_prefix}/*"]
  }
}

# The orchestrator's failure callback and the watchdog alert on the topic the alarms use;
# the topic is encrypted with the monitoring key, which SNS uses on the publisher's behalf
# (key_use["encrypt_for_the_alerts_topic"] beside it).
data "aws_iam_policy_document" "publish_alerts" {
  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
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
