{{ config(
    materialized='incremental',
    pre_hook="{{ delete_partitions(
        revalidated_months(ref('int_transactions_validated')), 'month_start_date') }}",
) }}

{{ transactions_aggregated(['sector_code', 'country_code', 'month_start_date']) }}
