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
resource "aws_secretsmanager_secret" "pseudonymisation_key" {
  #checkov:skip=CKV2_AWS_57:A new key gives every borrower a new pseudonym, which breaks what analysts saved; the operator replaces it deliberately (SECURITY.md), never on a schedule.
  name                    = "${local.name}/pseudonymisation-key"
  description             = "Key of the borrower pseudonyms in the marts (LENDING_PSEUDONYMISATION_KEY); value set by the operator, never by Terraform."
  kms_key_id              = aws_kms_key.this["data"].arn
  recovery_window_in_days = 30
}
