# The role Redshift assumes for Spectrum: read the raw deliveries, and manage the tables of
# the one Glue database (stage_external_sources creates them through this role). Nothing
# else: no other prefix of the lake, no write to S3, no other catalog database.

locals {
  # A database user of the workgroup as Redshift names it when it assumes a role for that
  # user (AWS, Redshift Management Guide, "Restricting access to IAM roles": for
  # Serverless arn:aws:redshift:<region>:<account-id>:dbuser:serverless-<account-id>-<workgroup-id>/<user>).
  # The workgroup's id is AWS's, known only once the workgroup exists, and the workgroup
  # depends on these roles (through the namespace): a pattern stands for it, one character
  # per '?' of a UUID, so the trusts use StringLike. It matches the named users of this
  # account's serverless workgroups in this region, of which the project makes one.
  workgroup_db_user_arn = "arn:${local.partition}:redshift:${local.region}:${local.account_id}:dbuser:serverless-${local.account_id}-????????-????-????-????-????????????"
}

data "aws_iam_policy_document" "spectrum_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type = "Service"
      # Redshift Serverless asks for both service names in the trust policy.
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }
    # An IAM role attached to a warehouse is usable by every one of its users, unless its
    # trust names the users: Redshift passes the user's ARN as the external id. These
    # three only: the admin (who creates the external schema, redshift_grants.tf), the
    # deploy identity (builds, stages the external tables) and slim CI (reads the external
    # schema for a deferred build). Never the analysts or the engineers.
    condition {
      test     = "StringLike"
      variable = "sts:ExternalId"
      values = [
        "${local.workgroup_db_user_arn}/${var.admin_username}",
        "${local.workgroup_db_user_arn}/IAMR:${local.role_names.orchestrator}",
        "${local.workgroup_db_user_arn}/IAMR:${local.role_names.ci}",
      ]
    }
  }
}

data "aws_iam_policy_document" "spectrum" {
  source_policy_documents = [
    data.aws_iam_policy_document.read_the_raw_deliveries.json,
    data.aws_iam_policy_document.key_use["decrypt_the_lake"].json,
  ]

  statement {
    sid       = "ListTheRawPrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.raw_prefix}/*"]
    }
  }

  statement {
    sid       = "LocateTheBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.lake.arn]
  }

  # The external schema is `create external schema ... from data catalog`; the tables and
  # their partitions are created, replaced and extended by stage_external_sources.
  statement {
    sid = "ManageTheTablesOfTheRawCatalogDatabase"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:DeleteTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:BatchCreatePartition",
    ]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      aws_glue_catalog_database.raw.arn,
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.raw.name}/*",
    ]
  }
}
