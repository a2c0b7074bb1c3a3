{#
    Incremental by monthly partition, like int_transactions_validated: a run replaces the
    months whose delivery changed and leaves the others alone.
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

countries as (

    select
        country_code,
        country_name,
        subregion
    from {{ ref('countries') }}

),

sectors as (

    select
        sector_code,
        sector_name,
        sector_group
    from {{ ref('sectors') }}

),

joined as (

    select
        transactions.transaction_id,
        transactions.loan_id,
        transactions.borrower_id,
        transactions.country_code,
        countries.country_name,
        countries.subregion,
        transactions.sector_code,
        sectors.sector_name,
        sectors.sector_group,
        transactions.transaction_type,
        transactions.transaction_status,
        transactions.is_settled,
        transactions.is_successful,
        transactions.currency_code,
        transactions.amount_local,
        transactions.local_per_usd,
        transactions.amount_usd,
        transactions.transaction_at,
        transactions.transaction_date,
        transactions.month_start_date,
        transactions.source_file,
        transactions.source_row_number,
        transactions.partition_fingerprint
    from transactions
    left join countries
        on transactions.country_code = countries.country_code
    left join sectors
        on transactions.sector_code = sectors.sector_code

)

select * from joined
