{{ config(
    materialized='incremental',
    pre_hook="{{ delete_partitions(
        revalidated_months(ref('int_transaction_versions')), 'month_start_date') }}",
) }}

{{ transactions_aggregated(['sector_code', 'country_code', 'month_start_date']) }}
