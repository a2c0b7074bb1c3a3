"""Security rules on the parsed configuration, each shown to catch a broken copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from terraform_config import (
    ALLOWED_WILDCARDS,
    TERRAFORM_DIR,
    allow_statements,
    broken_copy,
    bucket_problems,
    copy_config,
    github_trust_problems,
    invoker_problems,
    key_use_problems,
    load,
    password_problems,
    redshift_role_problems,
    s3_endpoint_problems,
    secret_problems,
    variable_problems,
    wildcard_problems,
)

CI_ENVIRONMENT = "redshift-ci"


@pytest.fixture(scope="module")
def config():
    return load()


def test_every_bucket_is_encrypted_and_private(config):
    assert len(config.of_type("aws_s3_bucket")) >= 2
    assert bucket_problems(config) == []


def test_a_new_unencrypted_bucket_is_caught(tmp_path: Path):
    folder = copy_config(tmp_path)
    (folder / "extra.tf").write_text('resource "aws_s3_bucket" "scratch" {\n  bucket = "x"\n}\n')
    problems = bucket_problems(load(folder))
    assert "aws_s3_bucket.scratch: not encrypted with aws:kms" in problems
    assert "aws_s3_bucket.scratch: public access not fully blocked" in problems


def test_no_wildcard_in_an_allow_statement_except_where_aws_requires_it(config):
    assert wildcard_problems(config) == []


def test_every_allowed_wildcard_is_still_needed_and_commented(config):
    statements = {(document, sid) for document, sid, _ in allow_statements(config)}
    for (document, sid), reason in ALLOWED_WILDCARDS.items():
        assert reason
        assert (document, sid) in statements, (
            f"allow-list names {document} {sid}, which no longer exists"
        )
    texts = "\n".join(path.read_text() for path in TERRAFORM_DIR.glob("*.tf"))
    # One comment per allow-listed statement as written (a for_each one is written once).
    written = {document.split("[")[0] for document, _ in ALLOWED_WILDCARDS}
    assert texts.count("# allow-listed:") >= len(written)


def test_every_role_uses_a_key_only_through_a_service(config):
    assert len(config.locals["key_uses"]) >= 4
    assert key_use_problems(config) == []


def test_every_variable_has_a_type_and_a_description(config):
    assert len(config.variables) > 10
    assert variable_problems(config) == []


def test_an_untyped_or_undescribed_variable_is_caught(tmp_path: Path):
    folder = broken_copy(
        tmp_path,
        "variables.tf",
        '  type        = string\n  description = "Short name that prefixes every resource name."\n',
        "",
    )
    problems = variable_problems(load(folder))
    assert problems == ["variable project: no type", "variable project: no description"]


def test_the_admin_password_never_reaches_a_variable_or_an_output(config):
    assert password_problems(config) == []


def test_the_github_trust_is_pinned_to_the_repository_and_environment(config):
    assert github_trust_problems(config, CI_ENVIRONMENT) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'github_ci_subject = "repo:${var.github_repository}:'
            'environment:${var.github_environment}"',
            'github_ci_subject = "repo:${var.github_repository}:*"',
            "subject not pinned",
        ),
        (
            'test     = "StringEquals"\n      variable = "${local.github_oidc_host}:sub"',
            'test     = "StringLike"\n      variable = "${local.github_oidc_host}:sub"',
            "subject not pinned",
        ),
        (
            'values   = ["sts.amazonaws.com"]',
            'values   = ["sts.amazonaws.com", "other"]',
            "audience not pinned",
        ),
    ],
    ids=["any-ref", "string-like", "extra-audience"],
)
def test_a_loose_github_trust_is_caught(tmp_path: Path, old, new, problem):
    problems = github_trust_problems(
        load(broken_copy(tmp_path, "iam_ci.tf", old, new)), CI_ENVIRONMENT
    )
    assert any(problem in line for line in problems), problems


def test_another_environment_is_caught(config):
    problems = github_trust_problems(config, "production")
    assert any("subject not pinned" in line for line in problems)


def test_no_default_role_and_redshift_roles_only_for_the_named_database_users(config):
    assert redshift_role_problems(config) == []


def test_only_each_pseudonym_function_reads_its_key(config):
    assert secret_problems(config) == []


def test_each_invoker_role_invokes_its_pseudonym_function_only(config):
    assert invoker_problems(config) == []


def test_the_s3_endpoint_reaches_the_lake_and_log_buckets_only(config):
    assert s3_endpoint_problems(config) == []


# Each a weakened copy and the problem its check must report.
BROKEN_COPIES = [
    (
        bucket_problems,
        "s3.tf",
        'sse_algorithm = "aws:kms"',
        'sse_algorithm = "AES256"',
        "aws_s3_bucket.lake: not encrypted with aws:kms",
    ),
    (
        bucket_problems,
        "s3.tf",
        'sse_algorithm = "AES256"',
        'sse_algorithm = "aws:kms"',
        "aws_s3_bucket.logs: not encrypted with AES256",
    ),
    (
        bucket_problems,
        "s3.tf",
        "      id  = aws_s3_bucket.logs.id",
        '      id  = "someone-elses-bucket"',
        "aws_s3_bucket.logs: public access not fully blocked",
    ),
    (
        wildcard_problems,
        "iam_shared.tf",
        'actions   = ["redshift-serverless:GetCredentials"]',
        'actions   = ["redshift-serverless:*"]',
        "data.aws_iam_policy_document.sign_in_to_the_workgroup SignInToTheWorkgroup: "
        "redshift-serverless:*",
    ),
    (
        wildcard_problems,
        "iam_shared.tf",
        'resources = ["${aws_s3_bucket.lake.arn}/${var.raw_prefix}/*"]',
        'resources = ["*"]',
        "data.aws_iam_policy_document.read_the_raw_deliveries ReadTheRawDeliveries: *",
    ),
    (
        wildcard_problems,
        "iam_roles.tf",
        "policy = data.aws_iam_policy_document.orchestrator.json",
        'policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })',
        'aws_iam_role_policy.this["orchestrator"].policy: not an aws_iam_policy_document',
    ),
    (
        wildcard_problems,
        "kms.tf",
        "policy      = data.aws_iam_policy_document.monitoring_key.json",
        'policy      = jsonencode({ Statement = [{ Effect = "Allow", Action = "kms:*" }] })',
        'aws_kms_key.this["monitoring"].policy: not an aws_iam_policy_document',
    ),
    (
        key_use_problems,
        "watchdog.tf",
        '  statement {\n    sid       = "CountTheBuilds"',
        '  statement {\n    sid     = "UseTheMonitoringKey"\n    actions = ["kms:Decrypt"]\n'
        '  }\n\n  statement {\n    sid       = "CountTheBuilds"',
        "data.aws_iam_policy_document.watchdog UseTheMonitoringKey: kms:Decrypt without a "
        "kms:ViaService condition",
    ),
    (
        key_use_problems,
        "iam_shared.tf",
        'variable = "kms:ViaService"',
        'variable = "aws:SourceAccount"',
        'data.aws_iam_policy_document.key_use["decrypt_the_lake"] DecryptTheLakeThroughS3: '
        "kms:Decrypt without a kms:ViaService condition",
    ),
    (
        key_use_problems,
        "iam_shared.tf",
        'data "aws_iam_policy_document" "read_the_raw_deliveries" {\n',
        'data "aws_iam_policy_document" "read_the_raw_deliveries" {\n  source_policy_documents = '
        '[data.aws_iam_policy_document.key_use["decrypt_the_lake"].json]\n\n',
        "data.aws_iam_policy_document.read_the_raw_deliveries: composes "
        'key_use["decrypt_the_lake"], which only a role\'s own policy may',
    ),
    (
        password_problems,
        "redshift.tf",
        "manage_admin_password            = true",
        "admin_user_password              = var.admin_password",
        "aws_redshiftserverless_namespace.warehouse: manage_admin_password is not true",
    ),
    (
        password_problems,
        "variables.tf",
        'variable "admin_username" {',
        'variable "admin_password" {\n  type        = string\n  description = "x"\n'
        '  default     = "hunter2hunter2"\n}\n\nvariable "admin_username" {',
        "variable admin_password: a password or secret as an input",
    ),
    (
        password_problems,
        "outputs.tf",
        'output "lake_bucket" {',
        'output "admin_secret" {\n  description = "x"\n'
        '  value       = local.data_api\n}\n\noutput "lake_bucket" {',
        "output admin_secret: reveals a password or secret",
    ),
    (
        redshift_role_problems,
        "redshift.tf",
        '    aws_iam_role.this["pseudonym_invoker_ci"].arn,\n  ]',
        '    aws_iam_role.this["pseudonym_invoker_ci"].arn,\n  ]\n'
        '  default_iam_role_arn = aws_iam_role.this["spectrum"].arn',
        "aws_redshiftserverless_namespace.warehouse: has a default IAM role",
    ),
    (
        redshift_role_problems,
        "pseudonymiser.tf",
        "caller        = local.role_names.orchestrator",
        "caller        = local.role_names.ci",
        'data.aws_iam_policy_document.pseudonym_invoker_trust["production"]: Redshift may assume '
        "it for",
    ),
    (
        redshift_role_problems,
        "pseudonymiser.tf",
        'variable = "sts:ExternalId"',
        'variable = "aws:SourceAccount"',
        'data.aws_iam_policy_document.pseudonym_invoker_trust["production"]: trusts Redshift '
        "without a StringLike sts:ExternalId",
    ),
    (
        redshift_role_problems,
        "iam_redshift.tf",
        'variable = "sts:ExternalId"',
        'variable = "aws:SourceAccount"',
        "data.aws_iam_policy_document.spectrum_trust: trusts Redshift without a StringLike "
        "sts:ExternalId",
    ),
    (
        redshift_role_problems,
        "iam_redshift.tf",
        '"${local.workgroup_db_user_arn}/IAMR:${local.role_names.ci}",',
        '"${local.workgroup_db_user_arn}/IAMR:${local.role_names.ci}",\n'
        '        "${local.workgroup_db_user_arn}/analyst_jane",',
        "data.aws_iam_policy_document.spectrum_trust: Redshift may assume it for",
    ),
    (
        redshift_role_problems,
        "iam_redshift.tf",
        '"${local.workgroup_db_user_arn}/${var.admin_username}",',
        '"${local.workgroup_db_user_arn}/*",',
        "data.aws_iam_policy_document.spectrum_trust: Redshift may assume it for",
    ),
    (
        redshift_role_problems,
        "iam_redshift.tf",
        '-????????-????-????-????-????????????"',
        '-*"',
        "local.workgroup_db_user_arn: not a dbuser ARN of the workgroup",
    ),
    (
        secret_problems,
        "secrets.tf",
        'kms_key_id              = aws_kms_key.this["pseudonymisation"].arn',
        'kms_key_id              = aws_kms_key.this["data"].arn',
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key data is used by",
    ),
    (
        secret_problems,
        "s3.tf",
        'kms_key_arn   = aws_kms_key.this["data"].arn',
        'kms_key_arn   = aws_kms_key.this["pseudonymisation"].arn',
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key pseudonymisation is used by "
        "local.buckets",
    ),
    (
        secret_problems,
        "secrets.tf",
        "values   = [each.value.reader]",
        'values   = [each.value.reader, aws_iam_role.this["orchestrator"].arn]',
        'aws_secretsmanager_secret.pseudonymisation_key["production"]: its policy does not deny '
        "reading it",
    ),
    (
        secret_problems,
        "secrets.tf",
        'reader      = aws_iam_role.this["pseudonymiser_production"].arn',
        'reader      = aws_iam_role.this["pseudonymiser_ci"].arn',
        'aws_secretsmanager_secret.pseudonymisation_key["production"]: its policy does not deny '
        "reading it",
    ),
    (
        secret_problems,
        "secrets.tf",
        '"secretsmanager:PutSecretValue",',
        "",
        'aws_secretsmanager_secret.pseudonymisation_key["production"]: its policy does not deny '
        "writing it",
    ),
    (
        secret_problems,
        "secrets.tf",
        "policy              = data.aws_iam_policy_document.pseudonymisation_secret[each.key].json",
        'policy              = data.aws_iam_policy_document.tls_only["lake"].json',
        'aws_secretsmanager_secret.pseudonymisation_key["ci"]: its policy does not deny reading it',
    ),
    (
        secret_problems,
        "iam_orchestrator.tf",
        '  statement {\n    sid       = "PublishTheDbtArtifacts"',
        '  statement {\n    sid       = "ReadThePseudonymisationKey"\n'
        '    actions   = ["secretsmanager:GetSecretValue"]\n'
        '    resources = [aws_secretsmanager_secret.pseudonymisation_key["production"].arn]\n'
        '  }\n\n  statement {\n    sid       = "PublishTheDbtArtifacts"',
        "data.aws_iam_policy_document.orchestrator ReadThePseudonymisationKey: reads",
    ),
    (
        secret_problems,
        "pseudonymiser.tf",
        "resources = [aws_secretsmanager_secret.pseudonymisation_key[each.key].arn]",
        "resources = [for key in aws_secretsmanager_secret.pseudonymisation_key : key.arn]",
        'data.aws_iam_policy_document.pseudonymiser["ci"] ReadItsKey: reads',
    ),
    (
        secret_problems,
        "kms.tf",
        '"kms:UntagResource", "kms:ScheduleKeyDeletion",',
        '"kms:UntagResource", "kms:Decrypt", "kms:ScheduleKeyDeletion",',
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key's statement "
        "AccountAdministersTheKeyWithoutUsingIt lets",
    ),
    (
        secret_problems,
        "kms.tf",
        '      values   = ["secretsmanager.${local.region}.amazonaws.com"]',
        '      values   = ["s3.${local.region}.amazonaws.com"]',
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key's statement "
        "ProductionFunctionDecryptsItsSecret lets",
    ),
    (
        secret_problems,
        "kms.tf",
        'principals = [aws_iam_role.this["pseudonymiser_production"].arn]',
        'principals = [aws_iam_role.this["orchestrator"].arn]',
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key's statement "
        "ProductionFunctionDecryptsItsSecret lets",
    ),
    (
        secret_problems,
        "kms.tf",
        "secrets    = [local.pseudonymisation_secrets.ci.arn_pattern]",
        "secrets    = [local.pseudonymisation_secrets.production.arn_pattern]",
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key's statement "
        "CiFunctionDecryptsItsSecret lets",
    ),
    (
        secret_problems,
        "secrets.tf",
        '/pseudonymisation-key-??????"',
        '/pseudonymisation-key*"',
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key's statement "
        "ProductionFunctionDecryptsItsSecret lets",
    ),
    (
        secret_problems,
        "kms.tf",
        "  source_policy_documents = [for use in",
        "  source_policy_documents = [data.aws_iam_policy_document.key_administration.json]\n"
        "  x = [for use in",
        "aws_secretsmanager_secret.pseudonymisation_key: its KMS key's statement "
        "AccountAdministersTheKeyThroughIam lets",
    ),
    (
        invoker_problems,
        "pseudonymiser.tf",
        "resources = [aws_lambda_function.pseudonymiser[each.key].arn]",
        "resources = [for function in aws_lambda_function.pseudonymiser : function.arn]",
        'data.aws_iam_policy_document.pseudonym_invoker["production"] InvokeItsPseudonymiser: '
        "['lambda:InvokeFunction'] on",
    ),
    (
        invoker_problems,
        "iam_roles.tf",
        'policy = data.aws_iam_policy_document.pseudonym_invoker["production"].json',
        'policy = data.aws_iam_policy_document.pseudonym_invoker["ci"].json',
        'role pseudonym_invoker_production: its policy is not pseudonym_invoker["production"]',
    ),
    (
        invoker_problems,
        "iam_ci.tf",
        '  statement {\n    sid       = "ReadTheProductionManifest"',
        '  statement {\n    sid       = "InvokeProductionsPseudonyms"\n'
        '    actions   = ["lambda:InvokeFunction"]\n'
        '    resources = [aws_lambda_function.pseudonymiser["production"].arn]\n'
        '  }\n\n  statement {\n    sid       = "ReadTheProductionManifest"',
        "data.aws_iam_policy_document.ci InvokeProductionsPseudonyms: names a pseudonym function",
    ),
    (
        s3_endpoint_problems,
        "network.tf",
        "  policy            = data.aws_iam_policy_document.s3_endpoint.json\n",
        "",
        "aws_vpc_endpoint.s3: no policy document, so it reaches every bucket",
    ),
    (
        s3_endpoint_problems,
        "network.tf",
        'resources = [each.value.arn, "${each.value.arn}/*"]',
        'resources = [each.value.arn, "${each.value.arn}/*", "arn:aws:s3:::*"]',
        "aws_vpc_endpoint.s3 TheLakeOnly: reaches ['arn:aws:s3:::*']",
    ),
    (
        s3_endpoint_problems,
        "network.tf",
        "arn     = aws_s3_bucket.logs.arn",
        'arn     = "arn:aws:s3:::someone-elses-bucket"',
        "aws_vpc_endpoint.s3 ReadTheLogs: reaches ['arn:aws:s3:::someone-elses-bucket',",
    ),
    (
        s3_endpoint_problems,
        "network.tf",
        'actions = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]',
        'actions = ["s3:*"]',
        "aws_vpc_endpoint.s3 ReadTheLogs: a wildcard action",
    ),
    (
        s3_endpoint_problems,
        "network.tf",
        'variable = "s3:ResourceAccount"',
        'variable = "aws:SourceAccount"',
        "aws_vpc_endpoint.s3 TheLakeOnly: not limited to this account's buckets",
    ),
]
BROKEN_IDS = [
    "lake-not-kms",
    "logs-unencrypted",
    "logs-settings-on-another-bucket",
    "wildcard-action",
    "wildcard-resource",
    "inline-json-policy",
    "inline-json-key-policy-in-a-for-each-map",
    "kms-use-without-a-service",
    "kms-use-of-a-for-each-document-without-a-service",
    "kms-use-in-a-shared-document",
    "password-set",
    "password-variable",
    "secret-output-through-a-local",
    "namespace-default-role",
    "production-invoker-trust-for-ci",
    "invoker-trust-without-external-id",
    "spectrum-trust-without-external-id",
    "spectrum-trust-for-an-analyst",
    "spectrum-trust-for-any-user",
    "spectrum-trust-for-any-workgroup",
    "secret-on-the-lake-key",
    "lake-on-the-secret-key",
    "secret-read-by-the-orchestrator",
    "production-secret-read-by-the-ci-function",
    "secret-written-by-anyone",
    "secret-policy-without-the-denials",
    "orchestrator-policy-reads-the-key",
    "function-policy-reads-both-keys",
    "secret-key-used-by-the-account",
    "secret-key-decrypted-through-s3",
    "secret-key-decrypted-by-the-orchestrator",
    "ci-function-decrypts-production-secret",
    "secret-pattern-matches-other-secrets",
    "secret-key-handed-to-iam",
    "invoker-invokes-both-functions",
    "invoker-role-with-the-other-policy",
    "ci-role-invokes-production-pseudonyms",
    "s3-endpoint-without-policy",
    "s3-endpoint-to-any-bucket",
    "s3-endpoint-to-another-bucket",
    "s3-endpoint-wildcard-action",
    "s3-endpoint-any-account",
]


@pytest.mark.parametrize(("check", "file", "old", "new", "problem"), BROKEN_COPIES, ids=BROKEN_IDS)
def test_a_broken_copy_is_caught(tmp_path: Path, check, file, old, new, problem):
    problems = check(load(broken_copy(tmp_path, file, old, new)))
    assert any(found.startswith(problem) for found in problems), problems
