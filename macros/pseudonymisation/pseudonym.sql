{#
    SQL for the pseudonym of `message` (text): HMAC-SHA256 under the pseudonymisation key
    (RFC 2104), as 64 lowercase hex digits, the same on every engine, so joins and distinct
    counts are those of the identifiers themselves. The key is in no table and no SQL text:

    - DuckDB and PostgreSQL have no HMAC, but hash and concatenate bytes: they compute
      SHA256(outer || SHA256(inner || message)) from the key's padded forms, which the
      build hands to its session only (lending.pseudonyms: DuckDB's session variables,
      set by the project's dbt-duckdb plugin; PostgreSQL's connection settings, sent in
      PGOPTIONS by `lending-pg build`).
    - Redshift's SQL has neither an HMAC nor a hash of bytes: a Lambda function that holds
      the key computes it (pseudonym_function, infra/terraform/pseudonymiser/).
#}
{% macro pseudonym(message) -%}
    {{ return(adapter.dispatch('pseudonym', 'lending_research')(message)) }}
{%- endmacro %}

{#- PostgreSQL (11 and later): sha256(bytea), decode() and bytea concatenation. -#}
{% macro default__pseudonym(message) -%}
    encode(sha256(
        decode(current_setting('lending.pseudonym_outer'), 'hex')
        || sha256(
            decode(current_setting('lending.pseudonym_inner'), 'hex')
            || convert_to(cast({{ message }} as varchar), 'UTF8')
        )
    ), 'hex')
{%- endmacro %}

{% macro redshift__pseudonym(message) -%}
    {{ pseudonym_function() }}(cast({{ message }} as varchar(256)))
{%- endmacro %}

{% macro duckdb__pseudonym(message) -%}
    sha256(
        getvariable('lending_pseudonym_outer')
        || unhex(sha256(
            getvariable('lending_pseudonym_inner') || encode(cast({{ message }} as varchar))
        ))
    )
{%- endmacro %}
