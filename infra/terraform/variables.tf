# Inputs. Only the ones without a default must be set (terraform.tfvars.example); the
# defaults match the dbt project's own defaults (profiles.yml, _bank__sources.yml,
# dbt_project.yml), so the outputs export values dbt would otherwise assume.
# No secret is an input: the Redshift admin password is generated and kept by Secrets
# Manager (redshift.tf).

# --- Where and what -------------------------------------------------------------------

variable "environment" {
  type        = string
  description = "Deployment environment: dev or prod. Part of every name and the Environment dimension of the run metrics."

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region for every resource, for example eu-west-1."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "project" {
  type        = string
  description = "Short name that prefixes every resource name."
  default     = "lending-research"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.project))
    error_message = "project must be 3 to 31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource (cost centre, data owner...), on top of Project, Environment, ManagedBy and Repository."
  default     = {}
}

# --- Data lake ------------------------------------------------------------------------

variable "lake_bucket_name" {
  type        = string
  description = "Name of the data lake bucket. Null: <project>-<environment>-lake-<account id>, unique without coordination."
  default     = null

  validation {
    condition     = var.lake_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_name))
    error_message = "lake_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "raw_prefix" {
  type        = string
  description = "Prefix of the raw Parquet deliveries in the lake bucket (one folder per source table below it): BANK_LAKE_S3_URI is s3://<bucket>/<raw_prefix>."
  default     = "raw"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.raw_prefix))
    error_message = "raw_prefix must be one folder name: lowercase letters, digits, _ or -, no slashes."
  }
}

variable "artifacts_prefix" {
  type        = string
  description = "Prefix of the dbt artifacts in the lake bucket: DBT_ARTIFACTS_S3_URI is s3://<bucket>/<artifacts_prefix>; every deploy publishes <prefix>/prod/manifest.json."
  default     = "dbt-artifacts"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.artifacts_prefix))
    error_message = "artifacts_prefix must be one folder name: lowercase letters, digits, _ or -, no slashes."
  }
}

variable "raw_infrequent_access_days" {
  type        = number
  description = "Days after which a raw delivery moves to S3 Standard-IA. Spectrum still reads it (no Glacier class: Spectrum cannot read archived objects)."
  default     = 90

  validation {
    condition     = var.raw_infrequent_access_days >= 30
    error_message = "raw_infrequent_access_days must be at least 30 (the Standard-IA minimum)."
  }
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days a replaced or deleted object version (a re-delivery, an earlier manifest) is kept before it expires."
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days S3 access logs, VPC flow logs and the watchdog's logs are kept."
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention of at least a year (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "catalog_database_name" {
  type        = string
  description = "AWS Glue Data Catalog database behind the Spectrum external schema (BANK_LAKE_CATALOG_DATABASE)."
  default     = "lending_research_raw"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,254}$", var.catalog_database_name))
    error_message = "catalog_database_name must be a lowercase identifier."
  }
}

# --- Warehouse ------------------------------------------------------------------------

variable "database_name" {
  type        = string
  description = "Redshift database the models are built in (REDSHIFT_DATABASE)."
  default     = "lending_research"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,63}$", var.database_name))
    error_message = "database_name must be a lowercase identifier of at most 64 characters."
  }
}

variable "marts_schema" {
  type        = string
  description = "Schema dbt builds production into, the only one analysts read (REDSHIFT_SCHEMA)."
  default     = "analytics"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*$", var.marts_schema)) && !startswith(var.marts_schema, "ci_")
    error_message = "marts_schema must be a lowercase identifier not starting with ci_ (those are the pull requests' schemas)."
  }
}

variable "external_schema" {
  type        = string
  description = "Redshift external (Spectrum) schema the bank source reads (REDSHIFT_EXTERNAL_SCHEMA)."
  default     = "bank_lake"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*$", var.external_schema))
    error_message = "external_schema must be a lowercase identifier."
  }
}

variable "analyst_role" {
  type        = string
  description = "Redshift role granted select on the marts (REDSHIFT_ANALYST_ROLE). Admins add analysts to it: grant role <role> to <user>."
  default     = "analysts"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*$", var.analyst_role))
    error_message = "analyst_role must be a lowercase identifier."
  }
}

variable "engineer_role" {
  type        = string
  description = "Redshift role granted select on the quarantine marts, the raw rejected rows (REDSHIFT_ENGINEER_ROLE). Admins add the data engineers who investigate rejections: grant role <role> to <user>."
  default     = "engineers"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*$", var.engineer_role))
    error_message = "engineer_role must be a lowercase identifier."
  }
}

variable "admin_username" {
  type        = string
  description = "Redshift admin user. Its password is generated and rotated by Secrets Manager, never set here."
  default     = "lending_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,126}$", var.admin_username)) && !contains(["admin", "rdsdb", "root", "superuser"], var.admin_username)
    error_message = "admin_username must be a lowercase identifier and not a reserved name (admin, rdsdb, root, superuser)."
  }
}

variable "capacity_rpu" {
  type = object({
    base = optional(number, 8)
    max  = optional(number, 64)
  })
  description = "Redshift Serverless capacity in RPUs: base (8 to 512) and the ceiling the workgroup may scale to (up to 5632), which caps the cost of a runaway query; multiples of 8, base at most max."
  default     = {}

  validation {
    condition = (
      var.capacity_rpu.base >= 8 && var.capacity_rpu.base <= 512 && var.capacity_rpu.base % 8 == 0
      && var.capacity_rpu.max <= 5632 && var.capacity_rpu.max % 8 == 0
      && var.capacity_rpu.base <= var.capacity_rpu.max
    )
    error_message = "capacity_rpu.base must be a multiple of 8 between 8 and 512, capacity_rpu.max a multiple of 8 from base up to 5632."
  }
}

# --- Network --------------------------------------------------------------------------

variable "vpc_cidr" {
  type        = string
  description = "Address range of the warehouse VPC."
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR block."
  }
}

variable "private_subnets" {
  type        = map(string)
  description = "Private subnets as availability zone letter => CIDR block inside vpc_cidr (a => subnet in <region>a). Redshift Serverless needs three zones. Keyed by zone, so adding one never moves the others."
  default = {
    a = "10.42.0.0/20"
    b = "10.42.16.0/20"
    c = "10.42.32.0/20"
  }

  validation {
    condition     = length(var.private_subnets) >= 3 && alltrue([for zone, cidr in var.private_subnets : can(regex("^[a-z]$", zone)) && can(cidrhost(cidr, 0))])
    error_message = "private_subnets must map at least three zone letters (a, b, c...) to IPv4 CIDR blocks."
  }
}

variable "warehouse_client_cidrs" {
  type        = list(string)
  description = "Extra address ranges allowed to reach the warehouse port (a VPN, a peered network of self-hosted runners). Clients inside the VPC join the warehouse-clients security group instead."
  default     = []

  validation {
    # /16 at the widest: a client range is a VPN or a runners' network, never a slice of
    # the internet (0.0.0.0/0, 0.0.0.0/1, a /8 ...).
    condition     = alltrue([for cidr in var.warehouse_client_cidrs : can(cidrhost(cidr, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-9]|3[0-2])$", cidr))])
    error_message = "warehouse_client_cidrs must be IPv4 CIDR blocks of /16 or narrower (never 0.0.0.0/0, nor any prefix shorter than /16)."
  }
}

# --- Identities -----------------------------------------------------------------------

variable "github_repository" {
  type        = string
  description = "The GitHub repository whose slim-CI job may assume the CI role, as owner/name."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_environment" {
  type        = string
  description = "The GitHub environment the slim-CI job runs in (with required reviewers); the CI role trusts that environment only."
  default     = "redshift-ci"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.github_environment))
    error_message = "github_environment must be a GitHub environment name (letters, digits, . _ -)."
  }
}

variable "github_oidc_provider_arn" {
  type        = string
  description = "ARN of an existing GitHub Actions OIDC provider in the account (there can be only one per account). Null: create it here."
  default     = null

  validation {
    condition     = var.github_oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.github_oidc_provider_arn))
    error_message = "github_oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com OIDC provider."
  }
}

variable "orchestrator_principal_arns" {
  type        = list(string)
  description = "IAM roles allowed to assume the orchestrator role: the Airflow workers' own role (an ECS task role, an EC2 instance role or the MWAA execution role)."

  validation {
    condition     = length(var.orchestrator_principal_arns) > 0 && alltrue([for arn in var.orchestrator_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "orchestrator_principal_arns must list at least one IAM role ARN (no wildcards, no account roots)."
  }
}

variable "key_custodian_arns" {
  type        = list(string)
  description = "IAM roles that set the pseudonymisation keys' values (put-secret-value) and manage their secrets: the account administrators' role, and whatever applies this Terraform (it writes the secrets' policies). Nobody else may write a secret, and only each pseudonym function's role may read its own."

  validation {
    condition     = length(var.key_custodian_arns) > 0 && alltrue([for arn in var.key_custodian_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "key_custodian_arns must list at least one IAM role ARN (no wildcards, no account roots)."
  }
}

# --- Monitoring -----------------------------------------------------------------------

variable "alert_email_addresses" {
  type        = list(string)
  description = "Addresses subscribed to the alerts topic (each confirms by e-mail). Other subscribers (chat, paging) can subscribe to the topic outside Terraform."
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alert_email_addresses must be e-mail addresses."
  }
}

variable "max_rejected_share" {
  type        = number
  description = "Rejected share of a source's rows in a month above which the alarm fires: the dbt var max_rejected_share in dbt_project.yml, where the build fails."
  default     = 0.01

  validation {
    condition     = var.max_rejected_share > 0 && var.max_rejected_share < 1
    error_message = "max_rejected_share must be between 0 and 1."
  }
}

variable "max_days_without_build" {
  type        = number
  description = "Days without any build after which the watchdog alerts: one monthly delivery cycle plus a few days' grace."
  default     = 35

  validation {
    condition     = var.max_days_without_build >= 1 && var.max_days_without_build <= 455
    error_message = "max_days_without_build must be between 1 and 455 (CloudWatch keeps hourly data 455 days)."
  }
}

variable "pseudonymiser_concurrency" {
  type        = number
  description = "Reserved concurrency of each pseudonym function (pseudonymiser.tf): how many batches Redshift may hash at once; more are retried, not failed."
  default     = 20

  validation {
    condition     = var.pseudonymiser_concurrency >= 1 && var.pseudonymiser_concurrency <= 200
    error_message = "pseudonymiser_concurrency must be between 1 and 200."
  }
}
