# The slim-CI job (.github/workflows/ci.yml, warehouse-slim-ci) assumes this role over
# GitHub's OIDC: no long-lived keys. The trust accepts only tokens issued for this
# repository's `redshift-ci` environment, which requires a reviewer's approval before a
# job can use it (README, "Pull requests"), so neither another repository, nor another
# workflow job, nor a fork's pull request can assume it. What the role may do is what the
# job does: read the production manifest and sign in to the workgroup; what it may do
# inside the database is in redshift_grants.tf.

locals {
  github_oidc_host         = "token.actions.githubusercontent.com"
  github_oidc_provider_arn = coalesce(var.github_oidc_provider_arn, one(aws_iam_openid_connect_provider.github[*].arn))
  # The OIDC subject of a job that runs in a GitHub environment.
  github_ci_subject = "repo:${var.github_repository}:environment:${var.github_environment}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.github_oidc_provider_arn == null ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint: AWS validates GitHub's certificate against its own trusted CAs.
}

data "aws_iam_policy_document" "ci_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = [local.github_ci_subject]
    }
  }
}

data "aws_iam_policy_document" "ci" {
  source_policy_documents = [
    data.aws_iam_policy_document.sign_in_to_the_workgroup.json,
    data.aws_iam_policy_document.key_use["decrypt_the_lake"].json,
  ]

  statement {
    sid       = "ReadTheProductionManifest"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.prod_manifest_key}"]
  }
}
