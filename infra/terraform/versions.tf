# Terraform and provider versions. The AWS provider is pinned to the 5.x line it was
# validated against (5.100); `terraform init -upgrade` within it is safe, a major version is
# a reviewed change. The archive provider zips the build watchdog's function (watchdog.tf).
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
  }

  # State is local unless you configure a backend: backend.tf.example shows the S3 one.
}
