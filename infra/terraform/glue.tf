# The AWS Glue Data Catalog database behind the Spectrum external schema. Terraform owns
# the database; its tables and partitions are the dbt project's, created from
# _bank__sources.yml by `dbt run-operation stage_external_sources` through the Spectrum
# role (iam_redshift.tf).
resource "aws_glue_catalog_database" "raw" {
  name         = var.catalog_database_name
  description  = "Raw bank deliveries (Parquet in ${local.bank_lake_s3_uri}), read by Redshift Spectrum as the ${var.external_schema} schema."
  location_uri = "${local.bank_lake_s3_uri}/"
}
