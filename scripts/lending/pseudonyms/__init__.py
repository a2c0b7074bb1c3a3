"""The key of the borrower pseudonyms, and what a warehouse session is handed of it.

A pseudonym is the HMAC-SHA256 (RFC 2104) of '<domain>|<id>' under the key, as 64 hex
digits: the same on DuckDB, PostgreSQL and Redshift (macros/pseudonymisation/). Neither
DuckDB's nor PostgreSQL's SQL has an HMAC, but both hash bytes and concatenate them, so
they compute it from the key's two padded forms, which this module derives and hands to
the session only: DuckDB's as session variables (the dbt-duckdb plugin in
lending.pseudonyms.dbt_plugin), PostgreSQL's as settings of the connection's start-up
packet (PGOPTIONS), never in a table, in SQL text or in a log. Redshift's is a Lambda
function that holds the key itself (infra/terraform/pseudonymiser/).

The key is LENDING_PSEUDONYMISATION_KEY: 256 random bits or more, written as 64 or more
hex digits (`openssl rand -hex 32`) or 43 or more base64 characters. DuckDB, the analysts'
local warehouse of synthetic data, falls back to a development key that protects nothing;
every other engine refuses to build without a real one.
"""

from __future__ import annotations

import hashlib
import re

KEY_VARIABLE = "LENDING_PSEUDONYMISATION_KEY"
DEVELOPMENT_KEY = "development-only-key-it-protects-nothing"  # pragma: allowlist secret
# The names the SQL reads the padded keys by (macros/pseudonymisation/pseudonym.sql).
DUCKDB_VARIABLES = ("lending_pseudonym_inner", "lending_pseudonym_outer")
POSTGRES_SETTINGS = ("lending.pseudonym_inner", "lending.pseudonym_outer")

_BLOCK_SIZE = 64  # SHA-256's, in bytes
_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


class UnfitKey(ValueError):
    """A key that is missing, weak or the development key where a real one is needed. The
    message never holds the key."""


def checked_key(value: str | None, *, engine: str) -> str:
    """The key to pseudonymise with on `engine` ('duckdb', 'postgres'): `value`, checked,
    or the development key on DuckDB when none is set."""
    if not value:
        if engine == "duckdb":
            return DEVELOPMENT_KEY
        raise UnfitKey(
            f"{KEY_VARIABLE} is not set: {engine} pseudonymises borrower identifiers with it"
            " and never builds without it. Set it from the secret store (SECURITY.md,"
            ' "Borrower pseudonyms"); `lending-pg build` makes one of its own for a local'
            " PostgreSQL."
        )
    if value == DEVELOPMENT_KEY:
        if engine == "duckdb":
            return value
        raise UnfitKey(
            f"{KEY_VARIABLE} is the development key, which protects nothing: {engine} needs"
            " a secret one."
        )
    bits_per_character = 4 if _HEX.fullmatch(value) else 6 if _BASE64.fullmatch(value) else 0
    bits = bits_per_character * len(value.rstrip("="))
    if not bits_per_character or bits < 256 or len(value) > 256 or len(set(value)) < 10:
        raise UnfitKey(
            f"{KEY_VARIABLE} must be 256 bits or more drawn at random, written as 64 or more"
            " hex digits (`openssl rand -hex 32`) or 43 or more base64 characters (`openssl"
            " rand -base64 32`), at most 256 characters; the value set is not (not shown)."
        )
    return value


def padded_keys(key: str) -> tuple[bytes, bytes]:
    """The HMAC's inner and outer keys (RFC 2104, section 2): the key's UTF-8 bytes (hashed
    first if longer than a block), zero-padded to a block, XOR 0x36 and XOR 0x5c. With
    them, HMAC(m) = SHA256(outer || SHA256(inner || m)): what SQL can compute."""
    material = key.encode()
    if len(material) > _BLOCK_SIZE:
        material = hashlib.sha256(material).digest()
    material = material.ljust(_BLOCK_SIZE, b"\0")
    return bytes(b ^ 0x36 for b in material), bytes(b ^ 0x5C for b in material)


def postgres_options(key: str, existing: str = "") -> str:
    """PGOPTIONS for a dbt build on PostgreSQL: `existing`, and the padded keys as settings
    of the session. libpq sends them in the start-up packet, so no statement text holds
    them (pg_stat_activity, the statement log); a setting is seen by its session only."""
    inner, outer = padded_keys(key)
    settings = " ".join(
        f"-c {name}={value.hex()}"
        for name, value in zip(POSTGRES_SETTINGS, (inner, outer), strict=True)
    )
    return f"{existing} {settings}".strip()
