"""The prod target, rendered by dbt itself from profiles.yml for each way of signing in,
down to the arguments dbt-redshift hands the Redshift driver. Only the driver's connect()
is replaced (there is no Redshift to reach); everything before it is the real code."""

from __future__ import annotations

import types
from argparse import Namespace
from typing import Any

import pytest
import yaml
from dbt.adapters.factory import load_plugin
from dbt.adapters.redshift import connections
from dbt.config.profile import Profile
from dbt.config.renderer import ProfileRenderer
from dbt.flags import set_from_args
from dbt_common.context import set_invocation_context
from dbt_common.exceptions import DbtRuntimeError

from conftest import PROJECT_ROOT

PROFILES = yaml.safe_load((PROJECT_ROOT / "profiles.yml").read_text())
PROVISIONED = "analytics.abc123xyz.eu-west-1.redshift.amazonaws.com"
SERVERLESS = "lending.123456789012.eu-west-1.redshift-serverless.amazonaws.com"
# The settings of each way of signing in that the deploy jobs use.
PASSWORD_SIGN_IN = {
    "REDSHIFT_HOST": PROVISIONED,
    "REDSHIFT_DATABASE": "analytics",
    "REDSHIFT_USER": "dbt_deploy",
    "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "s3cret-from-the-vault",
}
IAM_SIGN_IN = {
    "REDSHIFT_AUTH_METHOD": "iam",
    "REDSHIFT_HOST": PROVISIONED,
    "REDSHIFT_DATABASE": "analytics",
    "REDSHIFT_USER": "dbt_deploy",
    "REDSHIFT_CLUSTER_ID": "analytics",
    "REDSHIFT_REGION": "eu-west-1",
}
IAM_ROLE_SIGN_IN = {
    "REDSHIFT_AUTH_METHOD": "iam_role",
    "REDSHIFT_HOST": SERVERLESS,
    "REDSHIFT_DATABASE": "analytics",
}


@pytest.fixture(scope="module", autouse=True)
def dbt_runtime() -> None:
    set_from_args(Namespace(), {})
    load_plugin("redshift")


def render(target: str | None, **env: str) -> Any:
    set_invocation_context(env)
    return Profile.from_raw_profiles(
        PROFILES, "lending_research", ProfileRenderer({}), target_override=target
    )


def driver_arguments(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """What dbt-redshift would pass to redshift_connector.connect() for the prod target."""
    credentials = render("prod", **env).credentials
    captured: dict[str, Any] = {}

    def connect(**kwargs: Any) -> types.SimpleNamespace:
        captured.update(kwargs)
        return types.SimpleNamespace()

    monkeypatch.setattr(connections.redshift_connector, "connect", connect)
    connections.get_connection_method(credentials)()
    return captured


def test_dev_duckdb_is_the_default_target() -> None:
    profile = render(None)
    assert profile.target_name == "dev"
    assert profile.credentials.type == "duckdb"


@pytest.mark.parametrize(
    "sign_in",
    [PASSWORD_SIGN_IN, IAM_SIGN_IN, IAM_ROLE_SIGN_IN],
    ids=["password", "iam", "iam_role"],
)
def test_every_way_of_signing_in_requires_ssl(
    monkeypatch: pytest.MonkeyPatch, sign_in: dict[str, str]
) -> None:
    arguments = driver_arguments(monkeypatch, **sign_in)
    assert arguments["ssl"] is True
    # The certificate must name the host, not merely chain to a trusted authority.
    assert arguments["sslmode"] == "verify-full"


def test_password_authentication(monkeypatch: pytest.MonkeyPatch) -> None:
    arguments = driver_arguments(monkeypatch, **PASSWORD_SIGN_IN)
    assert arguments["user"] == "dbt_deploy"
    assert arguments["password"] == "s3cret-from-the-vault"
    assert not arguments.get("iam")
    assert arguments["port"] == 5439


def test_password_authentication_without_the_secret_refuses_to_connect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dbt renders a password it cannot read as empty (so a password with braces in it
    # survives); dbt-redshift then refuses before any connection attempt.
    with pytest.raises(DbtRuntimeError, match="'password' field"):
        driver_arguments(
            monkeypatch, REDSHIFT_HOST=PROVISIONED, REDSHIFT_DATABASE="a", REDSHIFT_USER="u"
        )


def test_iam_on_a_provisioned_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    arguments = driver_arguments(monkeypatch, **IAM_SIGN_IN)
    assert arguments["iam"] is True
    assert arguments["cluster_identifier"] == "analytics"
    assert arguments["db_user"] == "dbt_deploy"
    assert arguments["region"] == "eu-west-1"
    assert arguments["password"] == ""  # no password needed, none read


def test_iam_on_a_provisioned_cluster_needs_its_identifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_it = {k: v for k, v in IAM_SIGN_IN.items() if k != "REDSHIFT_CLUSTER_ID"}
    with pytest.raises(Exception, match="cluster_id"):
        driver_arguments(monkeypatch, **without_it)


def test_iam_role_on_serverless_is_recognised_by_its_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arguments = driver_arguments(monkeypatch, **IAM_ROLE_SIGN_IN)
    assert arguments["iam"] is True
    assert arguments["is_serverless"] is True
    assert arguments["cluster_identifier"] is None
    assert arguments["db_user"] is None  # the IAM identity itself signs in


def test_serverless_behind_a_custom_host_takes_its_workgroup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arguments = driver_arguments(
        monkeypatch,
        **dict(
            IAM_ROLE_SIGN_IN,
            REDSHIFT_HOST="warehouse.bank.internal",
            REDSHIFT_SERVERLESS="true",
            REDSHIFT_SERVERLESS_WORKGROUP="lending",
            REDSHIFT_REGION="eu-west-1",
        ),
    )
    assert arguments["is_serverless"] is True
    assert arguments["serverless_work_group"] == "lending"
