"""The pseudonymisation key's rules, and the padded keys the SQL computes the HMAC from
(lending.pseudonyms): with them, SHA256(outer || SHA256(inner || m)) is HMAC-SHA256, for
keys shorter and longer than SHA-256's block."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pytest

from lending import pseudonyms


def sql_hmac(key: str, message: str) -> str:
    """What macros/pseudonymisation/pseudonym.sql computes, in Python."""
    inner, outer = pseudonyms.padded_keys(key)
    return hashlib.sha256(outer + hashlib.sha256(inner + message.encode()).digest()).hexdigest()


@pytest.mark.parametrize("length", [32, 64, 65, 256])
def test_the_padded_keys_give_the_hmac(length: int) -> None:
    key = secrets.token_hex(128)[:length]
    for message in ("borrower|1", "loan|20190101", "transaction|ñandú", ""):
        assert (
            sql_hmac(key, message)
            == hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
        )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("short'; drop table x; --", "must be 256 bits or more drawn at random"),
        ("a" * 64, "must be 256 bits or more drawn at random"),  # 256 bits written, none random
        ("0123456789abcdef" * 3 + "0123456789abcde", "must be 256 bits or more"),  # 252 bits
        ("0123456789abcdef" * 17, "at most 256 characters"),
        (pseudonyms.DEVELOPMENT_KEY, "is the development key, which protects nothing"),
        ("", "LENDING_PSEUDONYMISATION_KEY is not set: postgres"),
    ],
    ids=["malformed", "repeated", "short", "long", "development", "missing"],
)
def test_postgres_refuses_a_missing_or_weak_key_without_showing_it(key: str, message: str) -> None:
    with pytest.raises(pseudonyms.UnfitKey) as refused:
        pseudonyms.checked_key(key, engine="postgres")
    assert message in str(refused.value)
    assert not key or key not in str(refused.value)


def test_a_random_key_of_256_bits_passes_as_hex_or_base64() -> None:
    for key in (secrets.token_hex(32), secrets.token_urlsafe(32), secrets.token_hex(64)):
        assert pseudonyms.checked_key(key, engine="postgres") == key


def test_duckdb_falls_back_to_the_development_key_only_when_none_is_set() -> None:
    assert pseudonyms.checked_key(None, engine="duckdb") == pseudonyms.DEVELOPMENT_KEY
    with pytest.raises(pseudonyms.UnfitKey):
        pseudonyms.checked_key("a" * 64, engine="duckdb")


def test_the_postgres_options_carry_the_padded_keys_after_any_others() -> None:
    key = secrets.token_hex(32)
    inner, outer = pseudonyms.padded_keys(key)
    options = pseudonyms.postgres_options(key, "-c statement_timeout=0")
    assert options.split() == [
        "-c", "statement_timeout=0",
        "-c", f"lending.pseudonym_inner={inner.hex()}",
        "-c", f"lending.pseudonym_outer={outer.hex()}",
    ]  # fmt: skip
