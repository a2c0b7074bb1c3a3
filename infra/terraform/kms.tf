# Two customer managed keys, rotated yearly: one for the data (the lake, the warehouse,
# its admin secret), one for monitoring (the alerts topic, log groups). Separate keys keep
# the services that only alert (CloudWatch alarms) away from the key that opens the data.

locals {
  kms_keys = {
    data = {
      description = "${local.name}: data lake objects, Redshift Serverless storage and its admin secret"
      policy      = data.aws_iam_policy_document.key_administration.json
    }
    monitoring = {
      description = "${local.name}: alerts topic and log groups"
      policy      = data.aws_iam_policy_document.monitoring_key.json
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.kms_keys

  description             = each.value.description
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = each.value.policy
}

resource "aws_kms_alias" "this" {
  for_each = local.kms_keys

  name          = "alias/${local.name}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}

# In a key policy the resource is always the key itself, written "*" (AWS requires it).
# The account statement is the default key policy: it lets IAM policies in this account
# grant use of the key (the roles in iam_*.tf do, each for what it needs); without it the
# key could become unmanageable. It is the whole of the data key's policy; the monitoring
# key's adds the services that encrypt with it.
data "aws_iam_policy_document" "key_administration" {
  #checkov:skip=CKV_AWS_109:A key policy, not an IAM policy: its resource is always this key ("*"), and the account statement is AWS's default key policy, which hands the key's use to IAM.
  #checkov:skip=CKV_AWS_111:A key policy, not an IAM policy: its resource is always this key ("*"), and the account statement is AWS's default key policy, which hands the key's use to IAM.
  #checkov:skip=CKV_AWS_356:A key policy, not an IAM policy: its resource is always this key ("*"), and the account statement is AWS's default key policy, which hands the key's use to IAM.
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    actions   = ["kms:*"] # allow-listed: default key policy (tests/python/infra)
    resources = ["*"]     # allow-listed: a key policy's resource is the key itself
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

data "aws_iam_policy_document" "monitoring_key" {
  source_policy_documents = [data.aws_iam_policy_document.key_administration.json]

  # CloudWatch alarms publish to the encrypted topic as the service itself, which an IAM
  # policy cannot grant: the key policy must.
  statement {
    sid       = "CloudWatchAlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"] # allow-listed: a key policy's resource is the key itself
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # CloudWatch Logs encrypts the watchdog's log group with this key (watchdog.tf).
  statement {
    sid       = "CloudWatchLogsEncryptsTheLogGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"] # allow-listed: a key policy's resource is the key itself
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }
}
