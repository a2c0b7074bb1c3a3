# Names and values derived once and used across files.
locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  lake_bucket_name = coalesce(var.lake_bucket_name, "${local.name}-lake-${local.account_id}")
  log_bucket_name  = "${local.lake_bucket_name}-logs"

  # The Spectrum macro reads s3://<bucket>/<raw_prefix>/<table>/year=.../; CI reads
  # s3://<bucket>/<artifacts_prefix>/prod/manifest.json, which every deploy publishes.
  bank_lake_s3_uri     = "s3://${local.lake_bucket_name}/${var.raw_prefix}"
  dbt_artifacts_s3_uri = "s3://${local.lake_bucket_name}/${var.artifacts_prefix}"
  prod_manifest_key    = "${var.artifacts_prefix}/prod/manifest.json"

  # Redshift Serverless signs an IAM role in as the database user IAMR:<role name>;
  # redshift_grants.tf creates these users and grants them what each identity does.
  deploy_db_user = "IAMR:${aws_iam_role.this["orchestrator"].name}"
  ci_db_user     = "IAMR:${aws_iam_role.this["ci"].name}"
}
