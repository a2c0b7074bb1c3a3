"""The Terraform in infra/terraform, parsed with python-hcl2, and the checks the tests run
on it. Each check returns a list of problems (empty when the configuration is fine), so a
test asserts the real configuration has none and, on a broken copy, that it has the one
the copy introduces.

There is no terraform binary here: nothing is planned, expressions stay unevaluated
("${...}" strings). `resolve` substitutes the simple ones (locals and variable defaults)
the checks need.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TERRAFORM_DIR = PROJECT_ROOT / "infra" / "terraform"

# Plain values: strings without their quotes, heredocs as strings, no comment keys.
OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True, preserve_heredocs=False
)


class ParseError(Exception):
    pass


@dataclass
class Terraform:
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        """The resources of one type, by name."""
        return {name: body for (type_, name), body in self.resources.items() if type_ == kind}


def parse_file(path: Path) -> dict[str, Any]:
    try:
        return copy.deepcopy(_parse(path.read_text()))
    except Exception as error:  # lark raises several unrelated types
        raise ParseError(f"{path.name}: {error}") from error


@functools.cache
def _parse(text: str) -> dict[str, Any]:
    # Parsing is slow (about 20 ms a file) and a broken copy changes one file.
    return hcl2.loads(text, serialization_options=OPTIONS)


def load(folder: Path = TERRAFORM_DIR) -> Terraform:
    """Every .tf file of `folder` (not its subfolders, as Terraform reads a module)."""
    config = Terraform()
    files = sorted(folder.glob("*.tf"))
    if not files:
        raise ParseError(f"no .tf files in {folder}")
    for path in files:
        parsed = parse_file(path)
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    config.resources[(kind, name)] = body
        for block in parsed.get("data", []):
            for kind, named in block.items():
                for name, body in named.items():
                    config.data[(kind, name)] = body
        for block in parsed.get("variable", []):
            config.variables.update(block)
        for block in parsed.get("output", []):
            config.outputs.update(block)
        for block in parsed.get("locals", []):
            config.locals.update(block)
    return config


# --- Resolving simple expressions ---------------------------------------------------------

REFERENCE = re.compile(r"\$\{(local|var)\.([a-z_][a-z0-9_]*)((?:\.[a-z_][a-z0-9_]*)*)\}")


def resolve(config: Terraform, value: Any) -> Any:
    """`value` with ${local.x} (and ${local.x.y}, an attribute of a map) and ${var.x}
    replaced by the local or the variable's default, recursively; whatever else (resource
    attributes, functions) is left as written."""
    if isinstance(value, dict):
        return {key: resolve(config, item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(config, item) for item in value]
    if not isinstance(value, str):
        return value
    whole = REFERENCE.fullmatch(value)
    if whole:
        found = _lookup(config, *whole.groups())
        return value if found is None else resolve(config, found)

    def substitute(match: re.Match[str]) -> str:
        found = resolve(config, _lookup(config, *match.groups()))
        if isinstance(found, int | float) and not isinstance(found, bool):
            return str(found)
        return found if isinstance(found, str) else match.group(0)

    return REFERENCE.sub(substitute, value)


def _lookup(config: Terraform, kind: str, name: str, attributes: str = "") -> Any:
    found = (
        config.locals.get(name)
        if kind == "local"
        else config.variables.get(name, {}).get("default")
    )
    for attribute in filter(None, attributes.split(".")):
        found = found.get(attribute) if isinstance(found, dict) else None
    return found


EACH = re.compile(r"\$\{each\.(key|value)((?:\.[a-z_][a-z0-9_]*)*)\}")


def instances(config: Terraform, name: str, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The instances of a resource, by name: one per key when its for_each is a map that
    `resolve` finds (a local), with ${each.key}, ${each.value.x} and an index [each.key]
    substituted; the resource itself otherwise."""
    items = resolve(config, body["for_each"]) if "for_each" in body else None
    if not isinstance(items, dict):
        return {name: body}
    template = {attribute: value for attribute, value in body.items() if attribute != "for_each"}
    return {
        f'{name}["{key}"]': _substitute_each(template, key, value) for key, value in items.items()
    }


def _substitute_each(value: Any, key: str, item: Any) -> Any:
    if isinstance(value, dict):
        return {name: _substitute_each(entry, key, item) for name, entry in value.items()}
    if isinstance(value, list):
        return [_substitute_each(entry, key, item) for entry in value]
    if not isinstance(value, str):
        return value
    # Another for_each resource's instance of the same key: x[each.key] is x["<key>"].
    value = value.replace("[each.key]", f'["{key}"]')

    def lookup(match: re.Match[str]) -> Any:
        found: Any = key if match.group(1) == "key" else item
        for attribute in filter(None, match.group(2).split(".")):
            found = found.get(attribute) if isinstance(found, dict) else None
        return found

    whole = EACH.fullmatch(value)
    if whole:
        found = lookup(whole)
        return value if found is None else found

    def substitute(match: re.Match[str]) -> str:
        found = lookup(match)
        return found if isinstance(found, str) else match.group(0)

    return EACH.sub(substitute, value)


def expression_text(config: Terraform, value: Any, seen: frozenset[str] = frozenset()) -> str:
    """The text of an expression and of every local it uses, transitively: what an output
    can reveal."""
    text = str(value)
    for name in set(re.findall(r"\blocal\.([a-z_][a-z0-9_]*)", text)) - seen:
        text += "\n" + expression_text(config, config.locals.get(name, ""), seen | {name})
    return text


# --- Checks -------------------------------------------------------------------------------

# Buckets that may use SSE-S3 instead of the KMS key, and why.
SSE_S3_BUCKETS = {
    "logs": "S3 server access logging delivers only to buckets encrypted with SSE-S3",
}
PUBLIC_ACCESS_SETTINGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)


def _configures(body: dict[str, Any], bucket: str) -> bool:
    return str(body.get("bucket", "")).startswith(f"${{aws_s3_bucket.{bucket}.")


def _instances_of_type(config: Terraform, kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: instance
        for resource, body in config.of_type(kind).items()
        for name, instance in instances(config, resource, body).items()
    }


def bucket_problems(config: Terraform) -> list[str]:
    """Every bucket encrypted (with the KMS key unless allow-listed) and fully private."""
    problems = []
    encryption = _instances_of_type(config, "aws_s3_bucket_server_side_encryption_configuration")
    public_access = _instances_of_type(config, "aws_s3_bucket_public_access_block")
    for bucket in config.of_type("aws_s3_bucket"):
        algorithms = [
            default.get("sse_algorithm")
            for body in encryption.values()
            if _configures(body, bucket)
            for rule in body.get("rule", [])
            for default in rule.get("apply_server_side_encryption_by_default", [])
        ]
        wanted = "AES256" if bucket in SSE_S3_BUCKETS else "aws:kms"
        if wanted not in algorithms:
            problems.append(f"aws_s3_bucket.{bucket}: not encrypted with {wanted}")
        blocks = [body for body in public_access.values() if _configures(body, bucket)]
        if not blocks or not all(
            block.get(key) is True for block in blocks for key in PUBLIC_ACCESS_SETTINGS
        ):
            problems.append(f"aws_s3_bucket.{bucket}: public access not fully blocked")
    return problems


# Allow statements that AWS forces to use a wildcard, as (policy document, sid): why.
ALLOWED_WILDCARDS = {
    ("key_administration", "AccountAdministersTheKeyThroughIam"): (
        "default key policy: the account administers the key through IAM; a key policy's "
        "resource is always the key itself, written *"
    ),
    ("monitoring_key", "CloudWatchAlarmsPublishToTheEncryptedTopic"): (
        "a key policy's resource is always the key itself, written *"
    ),
    ("monitoring_key", "CloudWatchLogsEncryptsTheLogGroups"): (
        "a key policy's resource is always the key itself, written *"
    ),
    ("pseudonymisation_key", "AccountAdministersTheKeyWithoutUsingIt"): (
        "a key policy's resource is always the key itself, written *"
    ),
    ('pseudonymisation_key_use["production"]', "ProductionFunctionDecryptsItsSecret"): (
        "a key policy's resource is always the key itself, written *"
    ),
    ('pseudonymisation_key_use["ci"]', "CiFunctionDecryptsItsSecret"): (
        "a key policy's resource is always the key itself, written *"
    ),
    ('pseudonymisation_key_use["custodians"]', "CustodiansEncryptTheSecrets"): (
        "a key policy's resource is always the key itself, written *"
    ),
    ("orchestrator", "PublishTheRunMetrics"): (
        "cloudwatch:PutMetricData has no resource-level permissions; limited by the "
        "cloudwatch:namespace condition instead"
    ),
    (
        "watchdog",
        "CountTheBuilds",
    ): "cloudwatch:GetMetricStatistics has no resource-level permissions",
    **{
        (f'pseudonymiser["{name}"]', sid): reason
        for name in ("production", "ci")
        for sid, reason in (
            ("DescribeItsNetworkInterfaces", "EC2's Describe actions support no resource ARN"),
            ("SendItsTraces", "X-Ray's PutTraceSegments and PutTelemetryRecords support none"),
        )
    },
}
POLICY_ATTRIBUTES = ("policy", "assume_role_policy")


def _is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def allow_statements(config: Terraform) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every Allow statement of every policy document (each instance of a for_each one), as
    (document, sid, statement); a Deny only takes away."""
    for (kind, document), body in config.data.items():
        if kind != "aws_iam_policy_document":
            continue
        for name, instance in instances(config, document, body).items():
            for index, statement in enumerate(instance.get("statement", [])):
                if statement.get("effect", "Allow") == "Allow":
                    yield name, str(statement.get("sid", f"#{index}")), statement


# A policy attribute that is one policy document's JSON, and which document (an instance
# of a for_each one is named as allow_statements names it: document["key"]).
DOCUMENT = r'data\.aws_iam_policy_document\.(\w+(?:\["[\w-]+"\])?)'
DOCUMENT_JSON = re.compile(r"\$\{" + DOCUMENT + r"\.json\}")


def wildcard_problems(config: Terraform) -> list[str]:
    """No Allow statement with a "*" or "service:*" action or a "*" resource, except the
    allow-listed ones; and every policy is a policy document (so none escapes this check)."""
    problems = []
    for name, sid, statement in allow_statements(config):
        wild = [a for a in statement.get("actions", []) if _is_wildcard_action(a)]
        wild += [r for r in statement.get("resources", []) if r == "*"]
        if "not_actions" in statement or "not_resources" in statement:
            wild.append("not_actions/not_resources")
        if wild and (name, sid) not in ALLOWED_WILDCARDS:
            problems.append(f"data.aws_iam_policy_document.{name} {sid}: {', '.join(wild)}")
    for (kind, resource), body in config.resources.items():
        for name, instance in instances(config, resource, body).items():
            for attribute in POLICY_ATTRIBUTES:
                value = instance.get(attribute)
                if value is not None and not DOCUMENT_JSON.fullmatch(str(value)):
                    problems.append(f"{kind}.{name}.{attribute}: not an aws_iam_policy_document")
    return problems


# The key policies (kms.tf): the only documents that may grant a kms: action without
# naming the service it goes through.
KEY_POLICIES = (
    "key_administration",
    "monitoring_key",
    "pseudonymisation_key",
    'pseudonymisation_key_use["production"]',
    'pseudonymisation_key_use["ci"]',
    'pseudonymisation_key_use["custodians"]',
)


KEY_USE = re.compile(r'data\.aws_iam_policy_document\.key_use\["(\w+)"\]')


def key_use_problems(config: Terraform) -> list[str]:
    """Every identity policy statement that grants a kms: action names the service it goes
    through (kms:ViaService): a role uses a key only through S3, SNS, Secrets Manager...
    And a key use is composed only into a role's own policy (local.role_policies), never
    into a document shared by several, so the role's file lists every key it uses."""
    role_documents = {
        found.group(1).split("[")[0]
        for policy in config.locals.get("role_policies", {}).values()
        if (found := DOCUMENT_JSON.fullmatch(str(policy.get("policy"))))
    }
    problems = []
    for (kind, document), body in config.data.items():
        if kind != "aws_iam_policy_document" or document in role_documents:
            continue
        for use in KEY_USE.findall(str(body.get("source_policy_documents", []))):
            problems.append(
                f'data.aws_iam_policy_document.{document}: composes key_use["{use}"], '
                "which only a role's own policy may"
            )
    for name, sid, statement in allow_statements(config):
        kms = [a for a in statement.get("actions", []) if str(a).startswith("kms:")]
        conditions = [c.get("variable") for c in statement.get("condition", [])]
        if kms and name not in KEY_POLICIES and "kms:ViaService" not in conditions:
            problems.append(
                f"data.aws_iam_policy_document.{name} {sid}: {', '.join(kms)} without a "
                "kms:ViaService condition"
            )
    return problems


def variable_problems(config: Terraform) -> list[str]:
    problems = []
    for name, body in config.variables.items():
        if not body.get("type"):
            problems.append(f"variable {name}: no type")
        if not str(body.get("description", "")).strip():
            problems.append(f"variable {name}: no description")
    return problems


SECRET_WORDS = re.compile(r"password|secret", re.IGNORECASE)


def password_problems(config: Terraform) -> list[str]:
    """The admin password is Secrets Manager's alone: no variable, default or output."""
    problems = []
    for name, body in config.of_type("aws_redshiftserverless_namespace").items():
        if body.get("manage_admin_password") is not True:
            problems.append(
                f"aws_redshiftserverless_namespace.{name}: manage_admin_password is not true"
            )
        for attribute in ("admin_user_password", "admin_user_password_wo"):
            if attribute in body:
                problems.append(f"aws_redshiftserverless_namespace.{name}: sets {attribute}")
    for name, body in config.variables.items():
        if SECRET_WORDS.search(name) or SECRET_WORDS.search(str(body.get("default", ""))):
            problems.append(f"variable {name}: a password or secret as an input")
    for name, body in config.outputs.items():
        if SECRET_WORDS.search(expression_text(config, body.get("value", ""))):
            problems.append(f"output {name}: reveals a password or secret")
    return problems


GITHUB_AUDIENCE = "sts.amazonaws.com"


def github_trust_problems(config: Terraform, environment: str) -> list[str]:
    """Every web-identity trust: audience STS, subject exactly this repository's
    `environment` (StringEquals, one value; no wildcard, no branch or pull-request subject)."""
    problems = []
    trusts = 0
    for (kind, name), body in config.data.items():
        if kind != "aws_iam_policy_document":
            continue
        for statement in body.get("statement", []):
            if "sts:AssumeRoleWithWebIdentity" not in statement.get("actions", []):
                continue
            trusts += 1
            where = f"data.aws_iam_policy_document.{name}"
            conditions = {
                resolve(config, c.get("variable", "")).rpartition(":")[2]: c
                for c in statement.get("condition", [])
            }
            audience, subject = conditions.get("aud"), conditions.get("sub")
            if (
                not audience
                or audience.get("test") != "StringEquals"
                or audience.get("values") != [GITHUB_AUDIENCE]
            ):
                problems.append(f"{where}: audience not pinned to {GITHUB_AUDIENCE}")
            wanted = f"repo:${{var.github_repository}}:environment:{environment}"
            values = resolve(config, subject.get("values", [])) if subject else []
            if not subject or subject.get("test") != "StringEquals" or values != [wanted]:
                problems.append(f"{where}: subject not pinned to {wanted} (got {values})")
    if config.variables.get("github_repository", {}).get("default") is not None:
        problems.append(
            "variable github_repository: has a default; the operator must name the repository"
        )
    if trusts == 0:
        problems.append("no role trusts GitHub's OIDC provider")
    return problems


REDSHIFT_SERVICES = {"redshift.amazonaws.com", "redshift-serverless.amazonaws.com"}
ADMIN = "${var.admin_username}"
DEPLOY = "IAMR:${local.role_names.orchestrator}"
CI = "IAMR:${local.role_names.ci}"
# Each role Redshift assumes, by its trust document, and the database users it may act for
# (its trust's sts:ExternalId), each a user of this workgroup. Spectrum: the admin (who
# creates the external schema), the deploy identity and slim CI. A pseudonym function's
# invoker: the admin (who creates the external function) and that function's one caller.
REDSHIFT_ROLE_USERS = {
    "spectrum_trust": {ADMIN, DEPLOY, CI},
    'pseudonym_invoker_trust["production"]': {ADMIN, DEPLOY},
    'pseudonym_invoker_trust["ci"]': {ADMIN, CI},
}
DB_USER_PREFIX = "${local.workgroup_db_user_arn}/"


def redshift_role_problems(config: Terraform) -> list[str]:
    """No namespace has a default IAM role (every database user may use a default role),
    and every role Redshift may assume names in its trust the database users it may act for
    (sts:ExternalId, StringEquals, exactly its REDSHIFT_ROLE_USERS), so no analyst can have
    it used, and slim CI cannot have production's pseudonym function called."""
    problems = [
        f"aws_redshiftserverless_namespace.{name}: has a default IAM role"
        for name, body in config.of_type("aws_redshiftserverless_namespace").items()
        if body.get("default_iam_role_arn")
    ]
    # Serverless names a database user by the account and the workgroup's id, which the ARN
    # cannot refer to (a cycle): the id is a pattern of one '?' per character of a UUID.
    wanted = (
        "arn:${local.partition}:redshift:${local.region}:${local.account_id}:dbuser:"
        "serverless-${local.account_id}-????????-????-????-????-????????????"
    )
    prefix = config.locals.get("workgroup_db_user_arn", "")
    if prefix != wanted:
        problems.append(f"local.workgroup_db_user_arn: not a dbuser ARN of the workgroup: {prefix}")
    trusts = {
        name: instance
        for (kind, document), body in config.data.items()
        if kind == "aws_iam_policy_document"
        for name, instance in instances(config, document, body).items()
    }
    for name, body in trusts.items():
        for statement in body.get("statement", []):
            services = {
                identifier
                for principal in statement.get("principals", [])
                for identifier in principal.get("identifiers", [])
            }
            if (
                "sts:AssumeRole" not in statement.get("actions", [])
                or not services & REDSHIFT_SERVICES
            ):
                continue
            external_ids = [
                c for c in statement.get("condition", []) if c.get("variable") == "sts:ExternalId"
            ]
            where = f"data.aws_iam_policy_document.{name}"
            if len(external_ids) != 1 or external_ids[0].get("test") != "StringLike":
                problems.append(f"{where}: trusts Redshift without a StringLike sts:ExternalId")
                continue
            # Resolved, as a for_each document's values come resolved from its map.
            values = resolve(config, external_ids[0].get("values", []))
            prefix = resolve(config, DB_USER_PREFIX)
            users = {v.removeprefix(prefix) for v in values if v.startswith(prefix)}
            wanted = resolve(config, sorted(REDSHIFT_ROLE_USERS.get(name, set())))
            if len(values) != len(users) or users != set(wanted):
                problems.append(f"{where}: Redshift may assume it for {sorted(values)}")
    return problems


# Using a key on data, as opposed to administering it.
KEY_USE_ACTIONS = re.compile(r"kms:(\*|Encrypt|Decrypt|ReEncrypt|GenerateDataKey)")
SECRET = "pseudonymisation_key"  # pragma: allowlist secret
# Each pseudonymisation key's secret, by its instance key, and the one role that reads it:
# its pseudonym function's (pseudonymiser.tf).
READERS = {
    "production": '${aws_iam_role.this["pseudonymiser_production"].arn}',
    "ci": '${aws_iam_role.this["pseudonymiser_ci"].arn}',
}
CUSTODIANS = ["${var.key_custodian_arns}"]
SECRETS_MANAGER = "secretsmanager.${local.region}.amazonaws.com"  # pragma: allowlist secret
SECRET_ARN = (  # pragma: allowlist secret
    "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:"
)


def document_statements(config: Terraform, reference: Any) -> list[dict[str, Any]]:
    """The statements of the policy document a `policy` attribute names, with those of the
    documents it composes (source_policy_documents), each instance of a for_each one."""
    found = DOCUMENT_JSON.fullmatch(str(reference))
    return _statements(config, found.group(1)) if found else []


def _statements(config: Terraform, name: str) -> list[dict[str, Any]]:
    """A document's statements, or one instance's when `name` is document["key"]."""
    document = name.split("[")[0]
    found = instances(config, document, config.data.get(("aws_iam_policy_document", document), {}))
    chosen = [found[name]] if name in found else [] if "[" in name else list(found.values())
    statements = []
    for instance in chosen:
        composed = re.findall(DOCUMENT, str(instance.get("source_policy_documents", "")))
        statements += [s for source in composed for s in _statements(config, source)]
        statements += instance.get("statement", [])
    return statements


def _as_list(value: Any) -> list[Any]:
    """A list attribute as written: a literal list, or one expression (`var.x`)."""
    return value if isinstance(value, list) else [value]


def _denies(statement: dict[str, Any], action: str, allowed: list[str]) -> bool:
    """A Deny of `action` to everyone (principal *) but the `allowed` principal ARNs."""
    everyone = any(
        p.get("type") == "*" and p.get("identifiers") == ["*"]
        for p in statement.get("principals", [])
    )
    return (
        statement.get("effect") == "Deny"
        and action in statement.get("actions", [])
        and everyone
        and any(
            c.get("test") == "ArnNotEquals"
            and c.get("variable") == "aws:PrincipalArn"
            and _as_list(c.get("values")) == allowed
            for c in statement.get("condition", [])
        )
    )


def secret_problems(config: Terraform) -> list[str]:
    """The pseudonymisation keys' secrets, one per pseudonym function: encrypted with a KMS
    key no other resource uses; each secret's policy denies reading it to all but its
    function's role and writing it to all but the key custodians; and the KMS key's policy
    lets each function's role decrypt its own secret only (named by an ARN pattern that
    matches no other) and the custodians encrypt, each through Secrets Manager, and the
    account administer the key without using it."""
    where = f"aws_secretsmanager_secret.{SECRET}"
    body = config.of_type("aws_secretsmanager_secret").get(SECRET)
    if body is None:
        return [f"{where}: missing"]
    secrets = instances(config, SECRET, body)
    problems = [
        f'{where}["{name}"]: missing' for name in READERS if f'{SECRET}["{name}"]' not in secrets
    ]
    key = re.fullmatch(r'\$\{aws_kms_key\.this\["(\w+)"\]\.arn\}', str(body.get("kms_key_id")))
    if not key:
        return [*problems, f"{where}: not encrypted with a key of aws_kms_key.this"]
    problems += _key_users(config, key.group(1), where)
    policies = list(_instances_of_type(config, "aws_secretsmanager_secret_policy").values())
    for name, reader in READERS.items():
        statements = [
            s
            for policy in policies
            if f'aws_secretsmanager_secret.{SECRET}["{name}"].arn' in str(policy.get("secret_arn"))
            for s in resolve(config, document_statements(config, policy.get("policy")))
        ]
        if not any(_denies(s, "secretsmanager:GetSecretValue", [reader]) for s in statements):
            problems.append(
                f'{where}["{name}"]: its policy does not deny reading it to all but its '
                "function's role"
            )
        if not any(_denies(s, "secretsmanager:PutSecretValue", CUSTODIANS) for s in statements):
            problems.append(
                f'{where}["{name}"]: its policy does not deny writing it to all but the key '
                "custodians"
            )
    patterns = {
        name: resolve(config, f"{SECRET_ARN}{secret.get('name')}-??????")
        for instance, secret in secrets.items()
        if (name := instance.removeprefix(f'{SECRET}["').removesuffix('"]')) in READERS
    }
    key_policy = config.locals["kms_keys"][key.group(1)]["policy"]
    for statement in document_statements(config, key_policy):
        problems += _key_statement_problems(config, statement, patterns, where)
    return problems + _secret_reader_problems(config)


def _secret_reader_problems(config: Terraform) -> list[str]:
    """No identity policy but a pseudonym function's names a pseudonymisation secret, and
    that one names its own secret only."""
    problems = []
    for document, sid, statement in allow_statements(config):
        resources = _as_list(statement.get("resources"))
        if f"aws_secretsmanager_secret.{SECRET}" not in str(resources):
            continue
        own = [
            f'${{aws_secretsmanager_secret.{SECRET}["{name}"].arn}}'
            for name in READERS
            if document == f'pseudonymiser["{name}"]'
        ]
        if resources != own:
            problems.append(f"data.aws_iam_policy_document.{document} {sid}: reads {resources}")
    return problems


def _key_users(config: Terraform, key: str, where: str) -> list[str]:
    """Whatever but the secrets uses the secrets' KMS key."""
    reference = f'aws_kms_key.this["{key}"]'
    users = [
        f"{kind}.{name}"
        for (kind, name), body in config.resources.items()
        if (kind, name) != ("aws_secretsmanager_secret", SECRET) and reference in str(body)
    ]
    users += [
        f"local.{name}"
        for name, value in config.locals.items()
        if name not in ("kms_keys", "key_uses") and reference in str(value)
    ]
    users += [
        f"key_uses.{name}"
        for name, use in config.locals.get("key_uses", {}).items()
        if use.get("key") == key and use.get("service") != "secretsmanager"
    ]
    return [f"{where}: its KMS key {key} is used by {', '.join(users)}"] if users else []


def _key_statement_problems(
    config: Terraform, statement: dict[str, Any], patterns: dict[str, str], where: str
) -> list[str]:
    """A statement of the secrets' KMS key policy that uses the key: one action, through
    Secrets Manager; Decrypt for one function's role on its own secret only, GenerateDataKey
    for the custodians on these secrets only."""
    actions = _as_list(resolve(config, statement.get("actions", [])))
    uses = [a for a in actions if KEY_USE_ACTIONS.match(str(a))]
    if not uses:
        return []
    principals = [
        i for p in statement.get("principals", []) for i in _as_list(p.get("identifiers"))
    ]
    conditions = {c.get("variable"): c for c in statement.get("condition", [])}
    services = conditions.get("kms:ViaService", {}).get("values")
    secret_arns = resolve(
        config, _as_list(conditions.get("kms:EncryptionContext:SecretARN", {}).get("values"))
    )
    readers = [name for name, reader in READERS.items() if principals == [reader]]
    if len(uses) == 1 and services == [SECRETS_MANAGER]:
        if (
            uses == ["kms:Decrypt"]
            and len(readers) == 1
            and secret_arns == [patterns.get(readers[0])]
        ):
            return []
        if (
            uses == ["kms:GenerateDataKey"]
            and principals == CUSTODIANS
            and secret_arns
            and set(secret_arns) <= set(patterns.values())
        ):
            return []
    sid = statement.get("sid")
    return [f"{where}: its KMS key's statement {sid} lets {principals} {uses} on {secret_arns}"]


def invoker_problems(config: Terraform) -> list[str]:
    """Redshift calls each pseudonym function through an invoker role of its own, whose
    policy invokes that function only; no other policy names a pseudonym function."""
    problems = []
    for name in READERS:
        role = f"pseudonym_invoker_{name}"
        document = f'pseudonym_invoker["{name}"]'
        found = DOCUMENT_JSON.fullmatch(
            str(config.locals["role_policies"].get(role, {}).get("policy"))
        )
        if not found or found.group(1) != document:
            problems.append(f"role {role}: its policy is not {document}")
        function = f'${{aws_lambda_function.pseudonymiser["{name}"].arn}}'
        for statement in _statements(config, document):
            actions = _as_list(statement.get("actions"))
            resources = _as_list(statement.get("resources"))
            if actions != ["lambda:InvokeFunction"] or resources != [function]:
                problems.append(
                    f"data.aws_iam_policy_document.{document} {statement.get('sid')}: "
                    f"{actions} on {resources}"
                )
    for document, sid, statement in allow_statements(config):
        if not document.startswith(
            "pseudonym_invoker["
        ) and "aws_lambda_function.pseudonymiser" in str(statement.get("resources")):
            problems.append(
                f"data.aws_iam_policy_document.{document} {sid}: names a pseudonym function"
            )
    return problems


# What the S3 gateway endpoint may reach: the lake and the log buckets, nothing else.
ENDPOINT_BUCKETS = {"lake", "logs"}


def s3_endpoint_problems(config: Terraform) -> list[str]:
    """Every S3 gateway endpoint has a policy (without one it reaches every bucket, so an
    UNLOAD or a worker can copy data anywhere), and each Allow statement of it names only
    the lake's and the log bucket's ARNs, with no wildcard action, for this account's
    buckets (s3:ResourceAccount)."""
    problems = []
    allowed = {
        arn
        for bucket in ENDPOINT_BUCKETS
        for arn in (f"${{aws_s3_bucket.{bucket}.arn}}", f"${{aws_s3_bucket.{bucket}.arn}}/*")
    }
    endpoints = {
        name: body
        for name, body in config.of_type("aws_vpc_endpoint").items()
        if str(body.get("service_name", "")).endswith(".s3")
    }
    if not endpoints:
        problems.append("no S3 gateway endpoint")
    for name, body in endpoints.items():
        where = f"aws_vpc_endpoint.{name}"
        statements = document_statements(config, body.get("policy"))
        if not statements:
            problems.append(f"{where}: no policy document, so it reaches every bucket")
        for statement in statements:
            if statement.get("effect", "Allow") != "Allow":
                continue
            sid = statement.get("sid")
            resources = set(_as_list(statement.get("resources")))
            if not resources or resources - allowed:
                problems.append(f"{where} {sid}: reaches {sorted(resources - allowed)}")
            actions = _as_list(statement.get("actions"))
            if any(_is_wildcard_action(str(a)) for a in actions) or "not_actions" in statement:
                problems.append(f"{where} {sid}: a wildcard action")
            accounts = [
                c
                for c in statement.get("condition", [])
                if c.get("variable") == "s3:ResourceAccount" and c.get("test") == "StringEquals"
            ]
            if [_as_list(c.get("values")) for c in accounts] != [["${local.account_id}"]]:
                problems.append(f"{where} {sid}: not limited to this account's buckets")
    return problems


def checkov_skips(folder: Path = TERRAFORM_DIR) -> list[tuple[str, str, str]]:
    """(file, check id, reason) for every inline checkov skip."""
    skips = []
    for path in sorted(folder.glob("*.tf")):
        for match in re.finditer(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?", path.read_text()):
            skips.append((path.name, match.group(1), (match.group(2) or "").strip()))
    return skips


def skip_problems(folder: Path = TERRAFORM_DIR) -> list[str]:
    """Every skip says why in a sentence (checkov itself accepts a skip without a reason)."""
    return [
        f"{file}: {check} skipped without a real reason ({reason!r})"
        for file, check, reason in checkov_skips(folder)
        if len(reason.split()) < 6
    ]


def copy_config(destination: Path) -> Path:
    """A copy of the configuration's files (not its subfolders) in `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in TERRAFORM_DIR.glob("*.tf"):
        (destination / path.name).write_text(path.read_text())
    return destination


def broken_copy(destination: Path, file: str, old: str, new: str) -> Path:
    """A copy of the configuration in `destination` with `old` replaced by `new` in `file`
    (which must contain it, so a test of a broken copy cannot quietly test nothing)."""
    copy_config(destination)
    target = destination / file
    text = target.read_text()
    assert old in text, f"{file} no longer contains {old!r}: update the test"
    target.write_text(text.replace(old, new))
    return destination
