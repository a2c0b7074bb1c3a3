# Database users, roles and grants, run as SQL through the Redshift Data API with the
# admin secret Redshift keeps in Secrets Manager (the password never reaches Terraform).
#
# - deploy identity (the orchestrator role, database user IAMR:<its name>): create on the
#   database; owns the marts schema and the external schema, so it builds the models and
#   stages the external tables.
# - analysts (role var.analyst_role): usage on the marts schema; dbt grants select on each
#   mart at every build (the marts' grants config). Their marts carry borrower pseudonyms.
# - engineers (role var.engineer_role): usage on the quarantine schema, where the raw
#   rejected rows are published; dbt grants select on those marts at every build.
# - slim CI (the CI role, user IAMR:<its name>): reads what `dbt build --defer` reads from
#   production (the external schema and the schemas dbt builds into, never the audit
#   copies); creates ci_* schemas only through ci_admin.create_ci_schema, and drops only the
#   ci_* schemas it owns.
# - analysts and engineers are kept apart: no grant gives analysts anything in the
#   quarantine schema, nor engineers anything in the marts schema, and neither role is
#   granted to the other (tests/python/infra/test_grants.py). That no person holds both is
#   the admin's rule, which no grant can enforce (SECURITY.md, operator's controls).
# - PUBLIC (every user) loses what Redshift gives it by default: the use of every IAM role
#   of the warehouse in COPY/UNLOAD, temporary tables, and create in the public schema.
# - pseudonyms: the deploy identity alone calls pseudonymisation.pseudonym_production, slim
#   CI alone pseudonymisation.pseudonym_ci (pseudonymiser.tf); nobody else calls either.
#
# Each statement runs once, when first applied (or when its SQL changes); destroying the
# resource does not undo it. They run in order: each depends on the one before.

locals {
  data_api = {
    workgroup_name = aws_redshiftserverless_workgroup.warehouse.workgroup_name
    database       = aws_redshiftserverless_namespace.warehouse.db_name
    secret_arn     = aws_redshiftserverless_namespace.warehouse.admin_password_secret_arn
  }
  # Quoted identifiers: IAM-derived user names hold ':' and '-'.
  deploy_user = "\"${local.deploy_db_user}\""
  ci_user     = "\"${local.ci_db_user}\""
  # The schemas dbt builds production into besides the marts schema (dbt_project.yml: each
  # layer's +schema, appended to the target schema); tests/python/infra/test_grants.py
  # checks the list against the dbt project.
  staging_schema      = "${var.marts_schema}_staging"
  intermediate_schema = "${var.marts_schema}_intermediate"
  seeds_schema        = "${var.marts_schema}_seeds"
  quarantine_schema   = "${var.marts_schema}_quarantine"
  # What a deferred build reads: the unmodified parents of what a pull request changed
  # (any layer), production's published marts (the quarantine's for the reconciliation
  # tests), never their audit copies (a build in progress).
  ci_read_schemas = "${var.marts_schema}, ${local.staging_schema}, ${local.intermediate_schema}, ${local.seeds_schema}, ${local.quarantine_schema}"
}

# --- Identities -------------------------------------------------------------------------

# Created ahead of their first IAM sign-in, which then maps to them, so that grants and
# default privileges can name them now.
resource "aws_redshiftdata_statement" "create_deploy_user" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create user ${local.deploy_user} password disable"
}

resource "aws_redshiftdata_statement" "create_ci_user" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create user ${local.ci_user} password disable"

  depends_on = [aws_redshiftdata_statement.create_deploy_user]
}

resource "aws_redshiftdata_statement" "create_analyst_role" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create role ${var.analyst_role}"

  depends_on = [aws_redshiftdata_statement.create_ci_user]
}

resource "aws_redshiftdata_statement" "create_engineer_role" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create role ${var.engineer_role}"

  depends_on = [aws_redshiftdata_statement.create_analyst_role]
}

# --- What Redshift gives every user (PUBLIC), taken back ---------------------------------
# Out of the box every user may name any IAM role of the warehouse in COPY, UNLOAD, CREATE
# MODEL and external functions, create temporary tables, and create tables in the public
# schema. An analyst could then COPY the raw deliveries (borrower ids in clear) into a
# table of their own with the Spectrum role, or keep copies of the marts in `public` that
# outlive a schema's grants and a key rotation. The grants after the revokes give back to
# the identities that need it, and to no one else.

# AWS: "Run the following statement once on the cluster" before granting ASSUMEROLE
# (Database Developer Guide, REVOKE, usage notes for the ASSUMEROLE privilege).
resource "aws_redshiftdata_statement" "public_assumes_no_role" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "revoke assumerole on all from public for all"

  depends_on = [aws_redshiftdata_statement.create_engineer_role]
}

resource "aws_redshiftdata_statement" "public_creates_no_temporary_tables" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "revoke temp on database ${var.database_name} from public"

  depends_on = [aws_redshiftdata_statement.public_assumes_no_role]
}

# Nothing is built in `public`: dbt builds into the schemas below.
resource "aws_redshiftdata_statement" "public_creates_nothing_in_public" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "revoke create on schema public from public"

  depends_on = [aws_redshiftdata_statement.public_creates_no_temporary_tables]
}

# Creating a Lambda UDF takes usage on language exfunc, which AWS says must be granted
# explicitly (Database Developer Guide, "Creating a scalar Lambda UDF", "Managing Lambda UDF
# security and privileges"). Taken from PUBLIC all the same: nobody but the admin creates
# an external function, so nobody can point one at a pseudonym function.
resource "aws_redshiftdata_statement" "public_creates_no_external_functions" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "revoke usage on language exfunc from public"

  depends_on = [aws_redshiftdata_statement.public_creates_nothing_in_public]
}

# The deploy identity already reads the raw deliveries (it owns the external schema), so
# COPY with the Spectrum role gives it nothing new. Not UNLOAD: nothing here writes to S3
# from the database, and UNLOAD is how data would leave it.
resource "aws_redshiftdata_statement" "deploy_copies_with_the_spectrum_role" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant assumerole on '${aws_iam_role.this["spectrum"].arn}' to ${local.deploy_user} for copy"

  depends_on = [aws_redshiftdata_statement.public_creates_no_external_functions]
}

# dbt's incremental models stage each run's rows in a temporary table: the identities that
# build (production, and slim CI in its own schemas) need temp; analysts and engineers,
# who only read, do not.
resource "aws_redshiftdata_statement" "deploy_creates_temporary_tables" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant temp on database ${var.database_name} to ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.deploy_copies_with_the_spectrum_role]
}

resource "aws_redshiftdata_statement" "ci_creates_temporary_tables" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant temp on database ${var.database_name} to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.deploy_creates_temporary_tables]
}

# --- The deploy identity owns production --------------------------------------------------

resource "aws_redshiftdata_statement" "deploy_creates_schemas" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant create on database ${var.database_name} to ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.ci_creates_temporary_tables]
}

resource "aws_redshiftdata_statement" "create_marts_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create schema if not exists ${var.marts_schema} authorization ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.deploy_creates_schemas]
}

# The layer schemas too, owned by the deploy identity, so that the grants below can name
# them before the first build (dbt finds them present and uses them).
resource "aws_redshiftdata_statement" "create_staging_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create schema if not exists ${local.staging_schema} authorization ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.create_marts_schema]
}

resource "aws_redshiftdata_statement" "create_intermediate_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create schema if not exists ${local.intermediate_schema} authorization ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.create_staging_schema]
}

resource "aws_redshiftdata_statement" "create_seeds_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create schema if not exists ${local.seeds_schema} authorization ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.create_intermediate_schema]
}

resource "aws_redshiftdata_statement" "create_quarantine_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create schema if not exists ${local.quarantine_schema} authorization ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.create_seeds_schema]
}

# Created here with the Spectrum role, then handed to the deploy identity: only an external
# schema's owner may create its tables (stage_external_sources does).
resource "aws_redshiftdata_statement" "create_external_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = <<-SQL
    create external schema if not exists ${var.external_schema}
    from data catalog
    database '${aws_glue_catalog_database.raw.name}'
    iam_role '${aws_iam_role.this["spectrum"].arn}'
  SQL

  depends_on = [aws_redshiftdata_statement.create_quarantine_schema]
}

resource "aws_redshiftdata_statement" "deploy_owns_external_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "alter schema ${var.external_schema} owner to ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.create_external_schema]
}

# --- Analysts read the published marts --------------------------------------------------

resource "aws_redshiftdata_statement" "analysts_use_marts_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant usage on schema ${var.marts_schema} to role ${var.analyst_role}"

  depends_on = [aws_redshiftdata_statement.deploy_owns_external_schema]
}

# --- Engineers read the quarantine ---------------------------------------------------------

resource "aws_redshiftdata_statement" "engineers_use_quarantine_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant usage on schema ${local.quarantine_schema} to role ${var.engineer_role}"

  depends_on = [aws_redshiftdata_statement.analysts_use_marts_schema]
}

# --- Slim CI reads what --defer needs ------------------------------------------------------

resource "aws_redshiftdata_statement" "ci_uses_build_schemas" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant usage on schema ${local.ci_read_schemas} to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.engineers_use_quarantine_schema]
}

# dbt replaces tables on every build, so existing grants do not last: the deploy
# identity's default privileges grant select on each new table and view.
resource "aws_redshiftdata_statement" "ci_reads_new_relations" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "alter default privileges for user ${local.deploy_user} in schema ${local.ci_read_schemas} grant select on tables to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.ci_uses_build_schemas]
}

resource "aws_redshiftdata_statement" "ci_reads_existing_relations" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant select on all tables in schema ${local.ci_read_schemas} to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.ci_reads_new_relations]
}

# External tables take no grants of their own: usage on the external schema reads them.
resource "aws_redshiftdata_statement" "ci_reads_sources" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant usage on schema ${var.external_schema} to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.ci_reads_existing_relations]
}

# --- Slim CI creates and drops only ci_* schemas ----------------------------------------
# The CI user has no create on the database. It creates each of its pull request's schemas
# (ci_pr_<n>, ci_pr_<n>_staging, ...: `dbt run-operation create_ci_schemas`) with
# `call ci_admin.create_ci_schema('<name>')`, a procedure that runs as its owner (the
# admin), refuses any other name and makes the CI user the schema's owner; as owner, and
# only of those, the CI user can drop them (macros/warehouse/ci_schemas.sql). dbt then
# finds the schemas present and does not try to create them. This guard is the
# database's: the pull request's code, which CI runs, cannot change it.

resource "aws_redshiftdata_statement" "create_ci_admin_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create schema if not exists ci_admin"

  depends_on = [aws_redshiftdata_statement.ci_reads_sources]
}

resource "aws_redshiftdata_statement" "create_ci_schema_procedure" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = <<-SQL
    create or replace procedure ci_admin.create_ci_schema(schema_name varchar(127))
    as $$
    begin
        if schema_name !~ '^ci_[a-z0-9_]{1,60}$' then
            raise exception 'create_ci_schema creates only ci_* schemas, not %', schema_name;
        end if;
        execute 'create schema if not exists ' || quote_ident(schema_name)
            || ' authorization ' || quote_ident('${local.ci_db_user}');
    end;
    $$ language plpgsql
    security definer
    set search_path to ci_admin
  SQL

  depends_on = [aws_redshiftdata_statement.create_ci_admin_schema]
}

resource "aws_redshiftdata_statement" "only_ci_runs_the_procedure" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "revoke execute on procedure ci_admin.create_ci_schema(varchar) from public"

  depends_on = [aws_redshiftdata_statement.create_ci_schema_procedure]
}

resource "aws_redshiftdata_statement" "ci_uses_ci_admin_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant usage on schema ci_admin to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.only_ci_runs_the_procedure]
}

resource "aws_redshiftdata_statement" "ci_runs_the_procedure" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant execute on procedure ci_admin.create_ci_schema(varchar) to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.ci_uses_ci_admin_schema]
}

# --- Pseudonyms: each function called by its own identity only ---------------------------
# The external functions behind the borrower pseudonyms (pseudonymiser.tf), owned by the
# admin in a schema of its own. Whoever may call one can compute the pseudonym of a known
# id, which is what pseudonyms must prevent, so each is callable by one identity: Redshift
# grants execute on a new function to PUBLIC, revoked here before anyone gets usage on the
# schema (without which no function in it can be called). AWS, Database Developer Guide,
# "Creating a scalar Lambda UDF", "Managing Lambda UDF security and privileges": "By
# default, permission to run new Lambda UDFs is granted to PUBLIC. To restrict usage,
# revoke this permission from PUBLIC for the function. Then, grant the privilege to
# specific users or groups."
#
# AWS does not say whether CREATE OR REPLACE keeps a function's privileges: the revoke and
# the grant that name a function run again whenever it is replaced (replace_triggered_by).

resource "aws_redshiftdata_statement" "create_pseudonymisation_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "create schema if not exists pseudonymisation"

  depends_on = [aws_redshiftdata_statement.ci_runs_the_procedure]
}

# STABLE: one result per argument within a statement, so Redshift may call the function
# once per distinct id. MAX_BATCH_ROWS keeps a response (about 67 bytes a row) well under
# Lambda's 6 MB payload limit: Redshift's default batch is 5 MB of requests, which for
# short ids would be millions of rows.
resource "aws_redshiftdata_statement" "create_production_pseudonym_function" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = <<-SQL
    create or replace external function ${local.pseudonymisers.production.sql_function}(varchar)
    returns char(64)
    stable
    lambda '${aws_lambda_function.pseudonymiser["production"].function_name}'
    iam_role '${aws_iam_role.this["pseudonym_invoker_production"].arn}'
    max_batch_rows ${local.pseudonym_batch_rows}
  SQL

  depends_on = [aws_redshiftdata_statement.create_pseudonymisation_schema]
}

resource "aws_redshiftdata_statement" "create_ci_pseudonym_function" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = <<-SQL
    create or replace external function ${local.pseudonymisers.ci.sql_function}(varchar)
    returns char(64)
    stable
    lambda '${aws_lambda_function.pseudonymiser["ci"].function_name}'
    iam_role '${aws_iam_role.this["pseudonym_invoker_ci"].arn}'
    max_batch_rows ${local.pseudonym_batch_rows}
  SQL

  depends_on = [aws_redshiftdata_statement.create_production_pseudonym_function]
}

resource "aws_redshiftdata_statement" "public_calls_no_production_pseudonym" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "revoke execute on function ${local.pseudonymisers.production.sql_function}(varchar) from public"

  depends_on = [aws_redshiftdata_statement.create_ci_pseudonym_function]
  lifecycle {
    replace_triggered_by = [aws_redshiftdata_statement.create_production_pseudonym_function]
  }
}

resource "aws_redshiftdata_statement" "public_calls_no_ci_pseudonym" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "revoke execute on function ${local.pseudonymisers.ci.sql_function}(varchar) from public"

  depends_on = [aws_redshiftdata_statement.public_calls_no_production_pseudonym]
  lifecycle {
    replace_triggered_by = [aws_redshiftdata_statement.create_ci_pseudonym_function]
  }
}

resource "aws_redshiftdata_statement" "deploy_calls_the_production_pseudonym" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant execute on function ${local.pseudonymisers.production.sql_function}(varchar) to ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.public_calls_no_ci_pseudonym]
  lifecycle {
    replace_triggered_by = [aws_redshiftdata_statement.create_production_pseudonym_function]
  }
}

resource "aws_redshiftdata_statement" "ci_calls_the_ci_pseudonym" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant execute on function ${local.pseudonymisers.ci.sql_function}(varchar) to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.deploy_calls_the_production_pseudonym]
  lifecycle {
    replace_triggered_by = [aws_redshiftdata_statement.create_ci_pseudonym_function]
  }
}

# AWS documents ASSUMEROLE ... FOR EXTERNAL FUNCTION as the privilege to use a role "when
# running" an external function (GRANT, "Usage notes for granting the ASSUMEROLE
# privilege"), without saying whether Redshift checks the function's creator or its caller.
# The creator is the admin, a superuser, who always holds it; each caller is granted its own
# function's invoker role, so the build runs either way. Neither can use the role anywhere
# else: only the admin creates external functions (exfunc above).
resource "aws_redshiftdata_statement" "deploy_invokes_with_its_invoker_role" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant assumerole on '${aws_iam_role.this["pseudonym_invoker_production"].arn}' to ${local.deploy_user} for external function"

  depends_on = [aws_redshiftdata_statement.ci_calls_the_ci_pseudonym]
}

resource "aws_redshiftdata_statement" "ci_invokes_with_its_invoker_role" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant assumerole on '${aws_iam_role.this["pseudonym_invoker_ci"].arn}' to ${local.ci_user} for external function"

  depends_on = [aws_redshiftdata_statement.deploy_invokes_with_its_invoker_role]
}

# Last: until now nobody but the admin could reach either function.
resource "aws_redshiftdata_statement" "deploy_uses_pseudonymisation_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant usage on schema pseudonymisation to ${local.deploy_user}"

  depends_on = [aws_redshiftdata_statement.ci_invokes_with_its_invoker_role]
}

resource "aws_redshiftdata_statement" "ci_uses_pseudonymisation_schema" {
  workgroup_name = local.data_api.workgroup_name
  database       = local.data_api.database
  secret_arn     = local.data_api.secret_arn
  sql            = "grant usage on schema pseudonymisation to ${local.ci_user}"

  depends_on = [aws_redshiftdata_statement.deploy_uses_pseudonymisation_schema]
}
