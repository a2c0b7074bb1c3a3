{#
    Incremental by month: only the months validated again since the last run are
    aggregated again (macros/incremental/partitions_to_rebuild.sql).
#}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_partitions(
        revalidated_months(ref('int_transactions_validated')), 'month_start_date') }}",
) }}

with

transactions as (

    {{ valid_transactions_to_rebuild(ref('int_transactions_validated')) | indent(4) }}

),

aggregated as (

    select
        country_code,
        month_start_date,
        {{ transaction_outcome_metrics() }},
        max(validated_at) as validated_at,
        '{{ code_checksum([this.identifier]) }}' as code_version
    from transactions
    group by country_code, month_start_date

)

select * from aggregated
