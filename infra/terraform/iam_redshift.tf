# The role Redshift assumes for Spectrum: read the raw deliveries, and manage the tables of
# the one Glue database (stage_external_sources creates them through this role). Nothing
# else: no other prefix of the lake, no write to S3, no other catalog database.

data "aws_iam_policy_document" "spectrum_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type = "Service"
      # Redshift Serverless asks for both service names in the trust policy.
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }
    # No source condition: Redshift's documented trust has none, and only an identity of
    # this account with iam:PassRole can attach the role to a namespace.
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
