# Three customer managed keys, rotated yearly: one for the data (the lake, the warehouse,
# its admin secret), one for monitoring (the alerts topic, log groups, the functions'
# environments), one for the pseudonymisation keys' secrets alone. Separate keys keep the
# services that only alert (CloudWatch alarms) away from the key that opens the data, and
# every identity that may decrypt the lake (Spectrum, the orchestrator, whoever IAM lets
# use the data key) away from the pseudonymisation keys.

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
    pseudonymisation = {
      description = "${local.name}: the pseudonymisation keys' secrets, and nothing else"
      policy      = data.aws_iam_policy_document.pseudonymisation_key.json
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

  # CloudWatch Logs encrypts the functions' log groups with this key (watchdog.tf,
  # pseudonymiser.tf).
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

# The pseudonymisation keys' KMS key. Unlike the others, its policy does not hand its use
# to IAM: the account may administer it (so it never becomes unmanageable) but not use it;
# each pseudonym function's role may decrypt its own secret only, and only the key
# custodians (key_custodian_arns) encrypt, all only through Secrets Manager
# (local.pseudonymisation_secrets, secrets.tf). An IAM policy granting kms:* elsewhere in
# the account (an administrator's, say) cannot decrypt with this key.
locals {
  # Everything about the key except using it on data (Encrypt, Decrypt, ReEncrypt*,
  # GenerateDataKey*): AWS's "key administrators" actions.
  key_administration_actions = [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
  ]
  # Who may use the key, on which secret: Secrets Manager asks KMS on the caller's behalf,
  # to decrypt for get-secret-value and for a data key for put-secret-value.
  pseudonymisation_key_uses = {
    production = {
      sid        = "ProductionFunctionDecryptsItsSecret"
      principals = [aws_iam_role.this["pseudonymiser_production"].arn]
      actions    = ["kms:Decrypt"]
      secrets    = [local.pseudonymisation_secrets.production.arn_pattern]
    }
    ci = {
      sid        = "CiFunctionDecryptsItsSecret"
      principals = [aws_iam_role.this["pseudonymiser_ci"].arn]
      actions    = ["kms:Decrypt"]
      secrets    = [local.pseudonymisation_secrets.ci.arn_pattern]
    }
    custodians = {
      sid        = "CustodiansEncryptTheSecrets"
      principals = var.key_custodian_arns
      actions    = ["kms:GenerateDataKey"]
      secrets    = [local.pseudonymisation_secrets.production.arn_pattern, local.pseudonymisation_secrets.ci.arn_pattern]
    }
  }
}

data "aws_iam_policy_document" "pseudonymisation_key_use" {
  for_each = local.pseudonymisation_key_uses

  statement {
    sid       = each.value.sid
    actions   = each.value.actions
    resources = ["*"] # allow-listed: a key policy's resource is the key itself
    principals {
      type        = "AWS"
      identifiers = each.value.principals
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:SecretARN"
      values   = each.value.secrets
    }
  }
}

data "aws_iam_policy_document" "pseudonymisation_key" {
  #checkov:skip=CKV_AWS_109:A key policy, not an IAM policy: its resource is always this key ("*"); the account may manage the key but not use it, and the uses are limited by principal, kms:ViaService and the secret's ARN.
  #checkov:skip=CKV_AWS_111:A key policy, not an IAM policy: its resource is always this key ("*"); the account may manage the key but not use it, and the uses are limited by principal, kms:ViaService and the secret's ARN.
  #checkov:skip=CKV_AWS_356:A key policy, not an IAM policy: its resource is always this key ("*"); the account may manage the key but not use it, and the uses are limited by principal, kms:ViaService and the secret's ARN.
  source_policy_documents = [for use in data.aws_iam_policy_document.pseudonymisation_key_use : use.json]

  statement {
    sid       = "AccountAdministersTheKeyWithoutUsingIt"
    actions   = local.key_administration_actions
    resources = ["*"] # allow-listed: a key policy's resource is the key itself
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}
