# Every role, by key: who may assume it (its trust document) and what it may do (one
# inline policy), both written in the role's own file: iam_ci.tf, iam_orchestrator.tf,
# iam_redshift.tf, pseudonymiser.tf, watchdog.tf. Sessions last an hour unless a role says otherwise.

locals {
  # The roles that sign in to the database (as IAMR:<name>), by name here: the Spectrum
  # role's trust names their database users, and a role's trust cannot refer to
  # aws_iam_role.this, which it is part of.
  role_names = {
    ci           = "${local.name}-github-ci"
    orchestrator = "${local.name}-orchestrator"
  }

  roles = {
    ci = {
      name        = local.role_names.ci
      description = "Assumed by the slim-CI job of ${var.github_repository} in the ${var.github_environment} environment"
      trust       = data.aws_iam_policy_document.ci_trust.json
    }
    orchestrator = {
      name        = local.role_names.orchestrator
      description = "Assumed by the Airflow workers to build and publish the ${var.environment} warehouse"
      trust       = data.aws_iam_policy_document.orchestrator_trust.json
      # A full rebuild fits; the dbt session is re-signed per run.
      max_session_duration = 3600 * 4
    }
    spectrum = {
      name        = "${local.name}-redshift-spectrum"
      description = "Assumed by Redshift Serverless to read ${local.bank_lake_s3_uri} and the ${var.catalog_database_name} Glue database"
      trust       = data.aws_iam_policy_document.spectrum_trust.json
    }
    pseudonymiser_production = {
      name        = local.pseudonymisers.production.function_name
      description = "Execution role of the production pseudonym function: reads production's key"
      trust       = data.aws_iam_policy_document.pseudonymiser_trust.json
    }
    pseudonymiser_ci = {
      name        = local.pseudonymisers.ci.function_name
      description = "Execution role of slim CI's pseudonym function: reads CI's key"
      trust       = data.aws_iam_policy_document.pseudonymiser_trust.json
    }
    pseudonym_invoker_production = {
      name        = "${local.name}-pseudonym-invoker-production"
      description = "Assumed by Redshift Serverless to call the production pseudonym function, for the deploy identity"
      trust       = data.aws_iam_policy_document.pseudonym_invoker_trust["production"].json
    }
    pseudonym_invoker_ci = {
      name        = "${local.name}-pseudonym-invoker-ci"
      description = "Assumed by Redshift Serverless to call slim CI's pseudonym function, for the CI identity"
      trust       = data.aws_iam_policy_document.pseudonym_invoker_trust["ci"].json
    }
    watchdog = {
      name        = local.watchdog_name
      description = "Execution role of the build watchdog function"
      trust       = data.aws_iam_policy_document.watchdog_trust.json
    }
    watchdog_schedule = {
      name        = "${local.watchdog_name}-schedule"
      description = "Lets EventBridge Scheduler invoke the build watchdog"
      trust       = data.aws_iam_policy_document.watchdog_schedule_trust.json
    }
  }

  # Apart from local.roles: the schedule's and the invokers' policies name a function, which
  # names its role.
  role_policies = {
    ci                = { name = "slim-ci", policy = data.aws_iam_policy_document.ci.json }
    orchestrator      = { name = "run-the-pipeline", policy = data.aws_iam_policy_document.orchestrator.json }
    spectrum          = { name = "read-raw-lake-and-catalog", policy = data.aws_iam_policy_document.spectrum.json }
    watchdog          = { name = "count-builds-and-alert", policy = data.aws_iam_policy_document.watchdog.json }
    watchdog_schedule = { name = "invoke-the-watchdog", policy = data.aws_iam_policy_document.watchdog_schedule.json }

    pseudonymiser_production     = { name = "read-its-key", policy = data.aws_iam_policy_document.pseudonymiser["production"].json }
    pseudonymiser_ci             = { name = "read-its-key", policy = data.aws_iam_policy_document.pseudonymiser["ci"].json }
    pseudonym_invoker_production = { name = "invoke-its-pseudonymiser", policy = data.aws_iam_policy_document.pseudonym_invoker["production"].json }
    pseudonym_invoker_ci         = { name = "invoke-its-pseudonymiser", policy = data.aws_iam_policy_document.pseudonym_invoker["ci"].json }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = each.value.name
  description          = each.value.description
  assume_role_policy   = each.value.trust
  max_session_duration = try(each.value.max_session_duration, 3600)
}

resource "aws_iam_role_policy" "this" {
  for_each = local.role_policies

  name   = each.value.name
  role   = aws_iam_role.this[each.key].id
  policy = each.value.policy
}
