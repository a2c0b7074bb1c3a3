# What the dbt project, the orchestrator and CI read. `dbt_environment` is the set of
# environment variables to export for `dbt --target prod` (and to copy into the GitHub
# environment for slim CI); tests/python/infra/test_consistency.py checks that, with
# infra/environment.yml (what the operator sets), it covers every variable they read.
# No output carries a secret: the admin password stays in Secrets Manager.

output "dbt_environment" {
  description = "Environment variables for dbt --target prod, as name => value: export them (README, Infrastructure (Terraform))."
  value = {
    REDSHIFT_AUTH_METHOD          = "iam_role" # dbt signs in as the caller's IAM role
    REDSHIFT_HOST                 = aws_redshiftserverless_workgroup.warehouse.endpoint[0].address
    REDSHIFT_PORT                 = tostring(local.redshift_port)
    REDSHIFT_DATABASE             = aws_redshiftserverless_namespace.warehouse.db_name
    REDSHIFT_SCHEMA               = var.marts_schema
    REDSHIFT_SERVERLESS           = "true"
    REDSHIFT_SERVERLESS_WORKGROUP = aws_redshiftserverless_workgroup.warehouse.workgroup_name
    REDSHIFT_REGION               = local.region
    AWS_REGION                    = local.region
    REDSHIFT_EXTERNAL_SCHEMA      = var.external_schema
    REDSHIFT_ANALYST_ROLE         = var.analyst_role
    REDSHIFT_ENGINEER_ROLE        = var.engineer_role
    REDSHIFT_SPECTRUM_ROLE_ARN    = aws_iam_role.this["spectrum"].arn
    REDSHIFT_PSEUDONYM_FUNCTION   = local.pseudonymisers.production.sql_function # slim CI: ci.yml names CI's
    BANK_LAKE_S3_URI              = local.bank_lake_s3_uri
    BANK_LAKE_CATALOG_DATABASE    = aws_glue_catalog_database.raw.name
    BANK_LAKE_KMS_KEY_ID          = aws_kms_key.this["data"].arn # the publisher's uploads (SSE-KMS)
    BANK_LAKE_BUCKET_OWNER        = local.account_id     # ExpectedBucketOwner on every request
    DBT_ARTIFACTS_S3_URI          = local.dbt_artifacts_s3_uri
    AWS_CI_ROLE_ARN               = aws_iam_role.this["ci"].arn
  }
}

output "lake_bucket" {
  description = "Name of the data lake bucket."
  value       = aws_s3_bucket.lake.bucket
}

output "log_bucket" {
  description = "Name of the bucket holding the lake's access logs and the VPC flow logs."
  value       = aws_s3_bucket.logs.bucket
}

output "redshift_workgroup_arn" {
  description = "ARN of the Redshift Serverless workgroup (the resource of redshift-serverless:GetCredentials)."
  value       = aws_redshiftserverless_workgroup.warehouse.arn
}

output "orchestrator_role_arn" {
  description = "IAM role the Airflow workers assume to run the production pipeline (its database user is IAMR:<role name>)."
  value       = aws_iam_role.this["orchestrator"].arn
}

output "warehouse_clients_security_group_id" {
  description = "Security group to attach to whatever runs dbt inside the VPC (Airflow workers, a self-hosted CI runner)."
  value       = aws_security_group.warehouse_clients.id
}

output "private_subnet_ids" {
  description = "The VPC's private subnets, for the Airflow workers and a self-hosted runner."
  value       = [for subnet in aws_subnet.private : subnet.id]
}

output "alerts_topic_arn" {
  description = "SNS topic of the alarms, the watchdog and the DAG's failure callback."
  value       = aws_sns_topic.alerts.arn
}

output "metrics_namespace" {
  description = "CloudWatch namespace the orchestration publishes the run metrics to."
  value       = local.metrics_namespace
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the run metrics."
  value       = aws_cloudwatch_dashboard.pipeline.dashboard_name
}
