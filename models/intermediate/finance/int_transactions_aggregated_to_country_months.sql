{#- A release that changes the columns changes the code: every month is aggregated again
    (revalidated_months), so the table whose columns are synced equals a full refresh. -#}
{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_partitions(
        revalidated_months(ref('int_transaction_versions')), 'month_start_date') }}",
) }}

{{ transactions_aggregated(['country_code', 'month_start_date']) }}
