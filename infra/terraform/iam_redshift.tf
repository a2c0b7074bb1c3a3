# The role Redshift assumes for Spectrum: read the raw deliveries, and manage the tables of
# the one Glue database (stage_external_sources creates them through this role). Nothing
# else: no other prefix of the lake, no write to S3, no other catalog database.

resource "aws_iam_role" "spectrum" {
  name                 = "${local.name}-redshift-spectrum"
  description          = "Assumed by Redshift Serverless to read ${local.bank_lake_s3_uri} and the ${var.catalog_database_name} Glue database"
  assume_role_policy   = data.aws_iam_policy_document.spectrum_trust.json
  max_session_duration = 3600
}

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

resource "aws_iam_role_policy" "spectrum" {
  name   = "read-raw-lake-and-catalog"
  role   = aws_iam_role.spectrum.id
  policy = data.aws_iam_policy_document.spectrum.json
}

data "aws_iam_policy_document" "spectrum" {
  source_policy_documents = [data.aws_iam_policy_document.read_the_raw_deliveries.json]

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
