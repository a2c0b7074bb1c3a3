{#
    A keyed hash of `value`: SHA-256 of key, '|' and the value as text, as 64 hex digits.
    The same value and key give the same pseudonym on every engine (DuckDB's sha256,
    Redshift's sha2, PostgreSQL's sha256 on bytes), so joins and distinct counts are those
    of the identifiers themselves; SHA-256 has no known collisions. A prefix-keyed hash
    rather than an HMAC (Redshift SQL has none): what it must resist is recomputing the
    pseudonym of a known id, which needs the key either way.
#}
{% macro keyed_hash(value, key) -%}
    {{ return(adapter.dispatch('keyed_hash', 'lending_research')(value, key)) }}
{%- endmacro %}

{#- PostgreSQL (11 and later), and any engine with sha256(bytea) and encode(). -#}
{% macro default__keyed_hash(value, key) -%}
    encode(sha256(convert_to({{ key }} || '|' || cast({{ value }} as varchar), 'UTF8')), 'hex')
{%- endmacro %}

{% macro redshift__keyed_hash(value, key) -%}
    sha2({{ key }} || '|' || cast({{ value }} as varchar(32)), 256)
{%- endmacro %}

{% macro duckdb__keyed_hash(value, key) -%}
    sha256({{ key }} || '|' || cast({{ value }} as varchar))
{%- endmacro %}
