"""The pseudonymiser: borrower pseudonyms on Redshift, as a Lambda UDF.

Redshift SQL has no HMAC, so the warehouse calls this function instead, through the
external functions pseudonymisation.pseudonym_production and pseudonymisation.pseudonym_ci
(infra/terraform/pseudonymiser.tf, redshift_grants.tf). The function holds the key, read
from the Secrets Manager secret PSEUDONYMISATION_SECRET_ARN names, so the key never enters
the warehouse: no table, no SQL text, no dbt process on Redshift ever sees it.

pseudonym(message) is the lowercase hex of HMAC-SHA256, keyed with the secret string's
UTF-8 bytes, of the message's UTF-8 bytes: the same value dbt computes on DuckDB and
PostgreSQL. NULL gives NULL.

Redshift sends a batch of rows and expects one result per row, in order, as a JSON string
(Database Developer Guide, "Creating a scalar Lambda UDF", "Using the JSON interface
between Amazon Redshift and AWS Lambda"): the request's `arguments` is a list of rows,
each a list of the call's arguments, and `num_records` their count; the response is
{"success": true, "num_records": n, "results": [...]} or
{"success": false, "error_msg": "..."}, which fails the query with that message.

Nothing of the arguments or the key is logged, or returned in an error. boto3 is in the
Lambda runtime.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from typing import Any

import boto3

# A key replaced in Secrets Manager reaches new calls within this many seconds, each
# container reading it again when its copy is older. A build that runs while the key is
# replaced can therefore store pseudonyms of both keys: replace it between builds.
CACHE_SECONDS = 300
MIN_KEY_BITS = 256
MIN_DISTINCT_CHARACTERS = 10
HEX = re.compile(r"[0-9a-fA-F]+")
BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")

_cache: dict[str, tuple[float, str]] = {}


class KeyRefused(Exception):
    """The key is missing or too weak; the message never contains it."""


def key_problem(key: str) -> str | None:
    """Why `key` is not a key of 256 random bits, written as hex or base64 (the rule the
    dbt macro applies on the other engines), or None."""
    bits_per_character = 4 if HEX.fullmatch(key) else 6 if BASE64.fullmatch(key) else 0
    bits = bits_per_character * len(key.rstrip("="))
    if bits < MIN_KEY_BITS or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return (
            "the pseudonymisation secret must hold 256 bits or more drawn at random, as 64 or "
            "more hex digits (openssl rand -hex 32) or 43 or more base64 characters; the "
            "value set is not (not shown)"
        )
    return None


def pseudonymisation_key(secret_id: str, now: float | None = None) -> str:
    """The key, read from Secrets Manager at most once per CACHE_SECONDS per container."""
    now = time.monotonic() if now is None else now
    cached = _cache.get(secret_id)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    key = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id).get("SecretString")
    problem = "the pseudonymisation secret has no value" if not key else key_problem(key)
    if problem:
        raise KeyRefused(problem)
    _cache[secret_id] = (now, key)
    return key


def pseudonym(key: str, message: str | None) -> str | None:
    if message is None:
        return None
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def handler(event: dict[str, Any], context: Any) -> str:
    secret_id = os.environ.get("PSEUDONYMISATION_SECRET_ARN", "")
    if not secret_id:
        return json.dumps({"success": False, "error_msg": "PSEUDONYMISATION_SECRET_ARN is unset"})
    try:
        key = pseudonymisation_key(secret_id)
    except KeyRefused as error:
        return json.dumps({"success": False, "error_msg": str(error)})
    except Exception as error:  # botocore's errors name the secret, never its value
        return json.dumps(
            {"success": False, "error_msg": f"reading the pseudonymisation secret failed: {error}"}
        )
    # A row is [argument], or null when Redshift sends none for it; either way, NULL.
    rows = event.get("arguments") or []
    results = [pseudonym(key, row[0] if row else None) for row in rows]
    return json.dumps({"success": True, "num_records": len(results), "results": results})
