# The keys of the borrower pseudonyms on Redshift (SECURITY.md, "Borrower data"), one per
# pseudonym function (pseudonymiser.tf): production's, and slim CI's, so a pull request's
# build never computes production's pseudonyms. Terraform creates each secret but never its
# value, which would land in the state file: the operator sets each once, after the first
# apply (no output names them: the output checks refuse anything secret-like, so go by
# their names),
#
#   aws secretsmanager put-secret-value --secret-id <project>-<environment>/pseudonymisation-key \
#       --secret-string "$(openssl rand -hex 32)"
#   aws secretsmanager put-secret-value --secret-id <project>-<environment>/ci-pseudonymisation-key \
#       --secret-string "$(openssl rand -hex 32)"
#
# Only each function's own execution role may read its key; no person, no Airflow worker,
# no CI job and no database user does: the warehouse asks the function for pseudonyms.
#
# Two locks, each enough alone: each secret's policy below denies reading it to every
# principal but its function's role, and writing it (or its policy) to every principal but
# the key custodians (key_custodian_arns), whatever their IAM policies say; and the secrets
# are encrypted with a KMS key of their own (kms.tf), whose policy lets each function's role
# decrypt its own secret only, through Secrets Manager.

locals {
  # A secret's ARN is its name, a hyphen and six random characters (Secrets Manager User
  # Guide, "Secret ARN"): the KMS key's policy names each secret by that pattern.
  pseudonymisation_secrets = {
    production = {
      name        = "${local.name}/pseudonymisation-key"
      arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.name}/pseudonymisation-key-??????"
      reader      = aws_iam_role.this["pseudonymiser_production"].arn
    }
    ci = {
      name        = "${local.name}/ci-pseudonymisation-key"
      arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.name}/ci-pseudonymisation-key-??????"
      reader      = aws_iam_role.this["pseudonymiser_ci"].arn
    }
  }

  # Writing a value, moving it between versions, changing its KMS key or its policy,
  # deleting it: the custodians' alone (Terraform applies as one of them).
  pseudonymisation_secret_write_actions = [
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecret",
    "secretsmanager:UpdateSecretVersionStage",
    "secretsmanager:RotateSecret",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:DeleteResourcePolicy",
    "secretsmanager:DeleteSecret",
    "secretsmanager:RestoreSecret",
  ]
}

resource "aws_secretsmanager_secret" "pseudonymisation_key" {
  #checkov:skip=CKV2_AWS_57:A new key gives every borrower a new pseudonym, which breaks what analysts saved; the operator replaces it deliberately (SECURITY.md), never on a schedule.
  for_each = local.pseudonymisation_secrets

  name                    = each.value.name
  description             = "Key of the ${each.key} borrower pseudonyms, read only by its pseudonym function; value set by the operator, never by Terraform."
  kms_key_id              = aws_kms_key.this["pseudonymisation"].arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_policy" "pseudonymisation_key" {
  for_each = local.pseudonymisation_secrets

  secret_arn          = aws_secretsmanager_secret.pseudonymisation_key[each.key].arn
  policy              = data.aws_iam_policy_document.pseudonymisation_secret[each.key].json
  block_public_policy = true
}

# Production's secret was the only one before CI had its own: the same secret, and value.
moved {
  from = aws_secretsmanager_secret.pseudonymisation_key
  to   = aws_secretsmanager_secret.pseudonymisation_key["production"]
}

moved {
  from = aws_secretsmanager_secret_policy.pseudonymisation_key
  to   = aws_secretsmanager_secret_policy.pseudonymisation_key["production"]
}

# In a secret's policy the resource is the secret itself, written "*". aws:PrincipalArn is
# the role's ARN for any of its sessions.
data "aws_iam_policy_document" "pseudonymisation_secret" {
  for_each = local.pseudonymisation_secrets

  statement {
    sid       = "OnlyItsFunctionReadsTheKey"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [each.value.reader]
    }
  }

  statement {
    sid       = "OnlyTheCustodiansWriteTheKey"
    effect    = "Deny"
    actions   = local.pseudonymisation_secret_write_actions
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = var.key_custodian_arns
    }
  }
}
