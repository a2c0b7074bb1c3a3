{#
    The body of a pseudonym table (models/intermediate/pseudonymisation/): one row per
    value of `column` ever delivered, with its pseudonym, the HMAC of '<domain>|<value>'
    (pseudonym). The domain keeps the pseudonyms of different identifiers apart: a
    loan and a borrower with the same number get different pseudonyms. Hashed once, when
    the value first appears, and stored with the version of the pseudonyms (the key and
    this code). Incremental: a run hashes the values of the partitions it deduplicated
    that are not stored yet; a new key or changed code hashes every value again (the
    model's pre-hook, delete_other_pseudonym_versions, deletes the old ones).
#}
{% macro pseudonymised_identifiers(column, domain) -%}
{%- set rekeyed = is_incremental() and stored_pseudonym_versions_differ() -%}
with

delivered as (

    select distinct {{ column }}
    from {{ ref('int_transactions_deduplicated') }}
    where {{ column }} is not null
    {%- if is_incremental() and not rekeyed %}
        and deduplicated_at = {{ this_run_timestamp() }}
    {%- endif %}

),

new_values as (

    select delivered.{{ column }}
    from delivered
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as stored
        where stored.{{ column }} = delivered.{{ column }}
    )
    {%- endif %}

),

pseudonymised as (

    select
        {{ column }},
        {{ pseudonym("'" ~ domain ~ "|' || cast(" ~ column ~ " as varchar)") }} as {{ domain }}_pseudonym,
        {{ pseudonym_version() }} as pseudonym_version,
        {{ this_run_timestamp() }} as pseudonymised_at
    from new_values

)

select * from pseudonymised
{%- endmacro %}
