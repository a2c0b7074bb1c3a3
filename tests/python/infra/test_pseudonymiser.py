"""The pseudonym function (infra/terraform/pseudonymiser/handler.py), run as Lambda runs it,
against moto's Secrets Manager, with Redshift's batch requests: its pseudonyms are the
contract's HMAC, its errors never show the key."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
from types import ModuleType

import boto3
import pytest
from moto import mock_aws
from terraform_config import TERRAFORM_DIR, load

REGION = "eu-west-1"
KEY = "3f9a1c7e5b2d4086a1e9c3b57d2f6e0c8b4a9d1e7f3c5a2b6d8e0f1c3a5b7d9e"  # pragma: allowlist secret
WEAK_KEYS = {
    "128-bits": "3f9a1c7e5b2d4086a1e9c3b57d2f6e0c",  # pragma: allowlist secret
    "few-characters": "ab" * 32,
    "not-hex-or-base64": "correct horse battery staple " * 3,
}


def handler_module() -> ModuleType:
    """The function's source as Lambda runs it: a file of its own, not part of the package;
    loaded afresh, so each test starts with an empty key cache."""
    path = TERRAFORM_DIR / "pseudonymiser" / "handler.py"
    spec = importlib.util.spec_from_file_location("pseudonymiser_handler", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def contract(message: str) -> str:
    return hmac.new(KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def request(*values: str | None) -> dict:
    """Redshift's batch request, as the Database Developer Guide shows it."""
    return {
        "request_id": "23FF1F97-F28A-44AA-AB67-266ED976BF40",
        "cluster": "arn:aws:redshift:eu-west-1:123456789012:workgroup:x",
        "user": "IAMR:lending-research-prod-orchestrator",
        "database": "lending_research",
        "external_function": "pseudonymisation.pseudonym_production",
        "query_id": 5678234,
        "num_records": len(values),
        "arguments": [[value] for value in values],
    }


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch):
    """A secret of moto's Secrets Manager, named by the variable Terraform sets."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("secretsmanager")
        arn = client.create_secret(Name="lending-research-prod/pseudonymisation-key")["ARN"]
        monkeypatch.setenv("PSEUDONYMISATION_SECRET_ARN", arn)

        def put(value: str) -> None:
            client.put_secret_value(SecretId=arn, SecretString=value)

        yield put


def test_terraform_names_the_secret_in_the_variable_the_handler_reads():
    functions = load().of_type("aws_lambda_function")
    variables = functions["pseudonymiser"]["environment"][0]["variables"]
    assert set(variables) == {"PSEUDONYMISATION_SECRET_ARN"}
    assert "aws_secretsmanager_secret.pseudonymisation_key[each.key].arn" in str(variables)
    assert functions["pseudonymiser"]["handler"] == "handler.handler"


def test_pseudonyms_are_the_hmac_of_the_contract(secret):
    secret(KEY)
    values = ["B000123", "borrower-42", "Zoë Ağaoğlu", "北京", "", " padded "]
    response = json.loads(handler_module().handler(request(*values), None))
    assert response == {
        "success": True,
        "num_records": len(values),
        "results": [contract(value) for value in values],
    }
    assert all(len(result) == 64 and result == result.lower() for result in response["results"])


def test_null_gives_null_in_its_place(secret):
    secret(KEY)
    event = request("a", None, "b")
    event["arguments"].insert(1, None)  # a row Redshift sends as null
    response = json.loads(handler_module().handler(event, None))
    assert response["results"] == [contract("a"), None, None, contract("b")]
    assert response["num_records"] == 4


@pytest.mark.parametrize("name", sorted(WEAK_KEYS))
def test_a_weak_key_is_refused_without_showing_it(secret, name):
    secret(WEAK_KEYS[name])
    raw = handler_module().handler(request("B000123"), None)
    response = json.loads(raw)
    assert response["success"] is False
    assert "256 bits" in response["error_msg"]
    assert WEAK_KEYS[name] not in raw and WEAK_KEYS[name][:8] not in raw


def test_a_missing_secret_or_variable_is_an_error_response(secret, monkeypatch):
    response = json.loads(handler_module().handler(request("B000123"), None))
    assert response["success"] is False
    assert "reading the pseudonymisation secret failed" in response["error_msg"]
    monkeypatch.delenv("PSEUDONYMISATION_SECRET_ARN")
    response = json.loads(handler_module().handler(request("B000123"), None))
    assert response == {"success": False, "error_msg": "PSEUDONYMISATION_SECRET_ARN is unset"}


def test_the_key_is_read_once_per_container_until_the_cache_expires(secret, monkeypatch):
    secret(KEY)
    module = handler_module()
    reads = []
    client = module.boto3.client

    def counting_client(service: str):
        reads.append(service)
        return client(service)

    monkeypatch.setattr(module.boto3, "client", counting_client)
    monkeypatch.setattr(module.time, "monotonic", lambda: 1000.0)
    for _ in range(3):
        assert json.loads(module.handler(request("a"), None))["results"] == [contract("a")]
    assert reads == ["secretsmanager"]

    replaced = "9" + KEY[1:]
    secret(replaced)
    assert json.loads(module.handler(request("a"), None))["results"] == [contract("a")]
    monkeypatch.setattr(module.time, "monotonic", lambda: 1000.0 + module.CACHE_SECONDS)
    expected = hmac.new(replaced.encode(), b"a", hashlib.sha256).hexdigest()
    assert json.loads(module.handler(request("a"), None))["results"] == [expected]
    assert reads == ["secretsmanager", "secretsmanager"]


def test_nothing_of_the_arguments_or_the_key_is_logged(secret, capsys, caplog):
    secret(KEY)
    handler_module().handler(request("B000123"), None)
    captured = capsys.readouterr()
    assert "B000123" not in captured.out + captured.err + caplog.text
    assert KEY not in captured.out + captured.err + caplog.text
