{#
    One row per borrower identifier ever delivered, with its pseudonym: the keyed hash of
    the bank's id (macros/pseudonymisation/). Hashed once, when the borrower first appears,
    and stored with the version of the pseudonyms (the key and this code), instead of on
    every read of the marts. Incremental: a run hashes the borrowers of the partitions it
    deduplicated that are not here yet; a new key or changed code hashes every borrower
    again.
#}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_other_pseudonym_versions() }}",
) }}
{%- set rekeyed = is_incremental() and stored_pseudonym_versions_differ() -%}

with

delivered as (

    select distinct borrower_id
    from {{ ref('int_transactions_deduplicated') }}
    where borrower_id is not null
    {%- if is_incremental() and not rekeyed %}
        and deduplicated_at = {{ this_run_timestamp() }}
    {%- endif %}

),

new_borrowers as (

    select delivered.borrower_id
    from delivered
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as stored
        where stored.borrower_id = delivered.borrower_id
    )
    {%- endif %}

),

pseudonymised as (

    select
        new_borrowers.borrower_id,
        {{ keyed_hash(
            "'borrower|' || cast(new_borrowers.borrower_id as varchar)",
            'pseudonymisation_key.pseudonymisation_key'
        ) }} as borrower_pseudonym,
        {{ pseudonym_version() }} as pseudonym_version,
        {{ this_run_timestamp() }} as pseudonymised_at
    from new_borrowers
    cross join {{ pseudonymisation_key_relation() }} as pseudonymisation_key

)

select * from pseudonymised
