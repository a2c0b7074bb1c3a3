# The key of the borrower pseudonyms in the analysts' marts (LENDING_PSEUDONYMISATION_KEY,
# SECURITY.md, "Borrower data"). Terraform creates the secret but never its value, which
# would land in the state file: the operator sets it once, after the first apply (no
# output names it: the output checks refuse anything secret-like, so go by its name),
#
#   aws secretsmanager put-secret-value --secret-id <project>-<environment>/pseudonymisation-key \
#       --secret-string "$(openssl rand -hex 32)"
#
# and the Airflow workers export it for dbt. Only the orchestrator role may read it; CI
# never does: each slim-CI run builds with a key of its own.
#
# Two locks, each enough alone: the secret's policy below denies reading it to every
# principal but the orchestrator role, and writing it (or its policy) to every principal
# but the key custodians (key_custodian_arns), whatever their IAM policies say; and the
# secret is encrypted with a KMS key of its own (kms.tf), which only the orchestrator may
# decrypt, through Secrets Manager.

locals {
  pseudonymisation_secret_name = "${local.name}/pseudonymisation-key"
}

resource "aws_secretsmanager_secret" "pseudonymisation_key" {
  #checkov:skip=CKV2_AWS_57:A new key gives every borrower a new pseudonym, which breaks what analysts saved; the operator replaces it deliberately (SECURITY.md), never on a schedule.
  name                    = local.pseudonymisation_secret_name
  description             = "Key of the borrower pseudonyms in the marts (LENDING_PSEUDONYMISATION_KEY); value set by the operator, never by Terraform."
  kms_key_id              = aws_kms_key.this["pseudonymisation"].arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_policy" "pseudonymisation_key" {
  secret_arn          = aws_secretsmanager_secret.pseudonymisation_key.arn
  policy              = data.aws_iam_policy_document.pseudonymisation_secret.json
  block_public_policy = true
}

# Who may do what with the pseudonymisation key, the one table both policies are written
# from: the secret's policy denies each secret action to every principal but those listed,
# and the KMS key's policy (kms.tf) allows each key action to them, through Secrets Manager.
locals {
  pseudonymisation_key_access = {
    read = {
      principals     = [aws_iam_role.this["orchestrator"].arn]
      secret_sid     = "OnlyTheOrchestratorReadsTheKey"  # pragma: allowlist secret
      secret_actions = ["secretsmanager:GetSecretValue"]
      key_sid        = "OrchestratorDecryptsTheSecretThroughSecretsManager"
      key_actions    = ["kms:Decrypt"]
    }
    # Writing the value, moving it between versions, changing its KMS key or its policy,
    # deleting it: the custodians (Terraform applies as one of them). For put-secret-value
    # Secrets Manager asks KMS for a data key on the caller's behalf.
    write = {
      principals = var.key_custodian_arns
      secret_sid = "OnlyTheCustodiansWriteTheKey"  # pragma: allowlist secret
      secret_actions = [
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecret",
        "secretsmanager:UpdateSecretVersionStage",
        "secretsmanager:RotateSecret",
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:DeleteResourcePolicy",
        "secretsmanager:DeleteSecret",
        "secretsmanager:RestoreSecret",
      ]
      key_sid     = "CustodiansEncryptTheSecretThroughSecretsManager"
      key_actions = ["kms:GenerateDataKey"]
    }
  }
}

# In a secret's policy the resource is the secret itself, written "*". aws:PrincipalArn is
# the role's ARN for any of its sessions.
data "aws_iam_policy_document" "pseudonymisation_secret_access" {
  for_each = local.pseudonymisation_key_access

  statement {
    sid       = each.value.secret_sid
    effect    = "Deny"
    actions   = each.value.secret_actions
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = each.value.principals
    }
  }
}

data "aws_iam_policy_document" "pseudonymisation_secret" {
  source_policy_documents = [for access in data.aws_iam_policy_document.pseudonymisation_secret_access : access.json]
}
