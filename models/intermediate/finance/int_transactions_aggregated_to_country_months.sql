{#
    Incremental by month: only the months whose delivery changed are aggregated again.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_partitions(ref('int_transactions_validated'), 'month_start_date') }}",
) }}

with

transactions as (

    {{ valid_transactions_to_rebuild() | indent(4) }}

),

aggregated as (

    select
        country_code,
        month_start_date,
        {{ transaction_outcome_metrics() }},
        max(partition_fingerprint) as partition_fingerprint
    from transactions
    group by country_code, month_start_date

)

select * from aggregated
