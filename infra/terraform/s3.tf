# The data lake: one bucket holding the raw Parquet deliveries (<raw_prefix>/<table>/...,
# read by Spectrum) and the dbt artifacts (<artifacts_prefix>/prod/manifest.json, read by
# slim CI). Versioned, encrypted with the data key, private, TLS only, access-logged to a
# second bucket that is itself locked down.

resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery decision per environment (cost, data residency of borrower data); versioning plus the bank's own extracts already allow a rebuild.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to object events: the orchestrator's sensor polls the month's prefix (issue 12), so notifications would have no consumer.
  bucket = local.lake_bucket_name
}

resource "aws_s3_bucket_logging" "lake" {
  bucket        = aws_s3_bucket.lake.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3-access/${local.lake_bucket_name}/"
}

# Raw deliveries stay queryable for ever (Spectrum reads every month from the first one),
# so old ones move to a cheaper class Spectrum still reads instead of expiring; what a
# re-delivery or the publisher's clean-up replaces is kept for a while, then expires.
resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    id     = "raw-deliveries"
    status = "Enabled"
    filter {
      prefix = "${var.raw_prefix}/"
    }
    transition {
      days          = var.raw_infrequent_access_days
      storage_class = "STANDARD_IA"
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "dbt-artifacts"
    status = "Enabled"
    filter {
      prefix = "${var.artifacts_prefix}/"
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  # An upload the publisher never finished is invisible but billed.
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this["lake"]]
}

data "aws_iam_policy_document" "lake_bucket" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["lake"].json]

  statement {
    sid     = "DenyTlsBelow12"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.lake.arn,
      "${aws_s3_bucket.lake.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  # An upload may rely on the default encryption or ask for KMS, never for anything weaker.
  statement {
    sid       = "DenyUploadsNotEncryptedWithKms"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.lake.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["false"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }
}

# --- Access and flow logs ---------------------------------------------------------------

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target bucket; logging it into itself would log every log delivery, forever.
  #checkov:skip=CKV_AWS_144:Logs are kept in the region they describe; replicating them is the account's log-archive decision, not this project's.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to log deliveries; they are read when investigating.
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to buckets encrypted with SSE-S3 (AES256); SSE-KMS is not supported for the target bucket.
  bucket = local.log_bucket_name
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this["logs"]]
}

data "aws_iam_policy_document" "log_bucket" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["logs"].json]

  statement {
    sid       = "S3ServerAccessLogsFromTheLake"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/s3-access/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.lake.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "VpcFlowLogsWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/vpc-flow-logs/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "VpcFlowLogsCheckTheBucket"
    actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
    resources = [aws_s3_bucket.logs.arn]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- What both buckets share ------------------------------------------------------------

# ACLs off (only policies grant access), public access blocked, versioning, default
# encryption, and the policy (each bucket's own document, above).
locals {
  buckets = {
    lake = {
      id  = aws_s3_bucket.lake.id
      arn = aws_s3_bucket.lake.arn
      # With bucket keys: one KMS call per object batch, not per object.
      sse_algorithm = "aws:kms"
      kms_key_arn   = aws_kms_key.this["data"].arn
    }
    logs = {
      id  = aws_s3_bucket.logs.id
      arn = aws_s3_bucket.logs.arn
      # The only encryption S3 access log delivery supports.
      sse_algorithm = "AES256"
      kms_key_arn   = null
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = each.value.sse_algorithm
      kms_master_key_id = each.value.kms_key_arn
    }
    bucket_key_enabled = each.value.sse_algorithm == "aws:kms"
  }
}

# Not in local.buckets: the policies' documents read the buckets' ARNs.
resource "aws_s3_bucket_policy" "this" {
  for_each = {
    lake = data.aws_iam_policy_document.lake_bucket.json
    logs = data.aws_iam_policy_document.log_bucket.json
  }

  bucket = local.buckets[each.key].id
  policy = each.value

  depends_on = [aws_s3_bucket_public_access_block.this]
}
