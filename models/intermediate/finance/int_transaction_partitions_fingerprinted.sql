{#
    One row per delivered monthly partition of raw transactions, with a fingerprint of
    its content (row count and a checksum of every column): the incremental models compare
    it with the fingerprint they stored to find new and re-delivered months. A scan and
    a hash cost a fraction of validating and writing the rows.
#}
{{ config(materialized='table') }}

with

transactions as (

    select
        partition_year,
        partition_month,
        transaction_id,
        loan_id,
        borrower_id,
        transaction_status,
        amount_local,
        transaction_at,
        country_code,
        sector_code,
        transaction_type,
        currency_code
    from {{ ref('stg_bank__transactions') }}

),

fingerprinted as (

    select
        partition_year,
        partition_month,
        count(*) as raw_row_count,
        coalesce(sum(amount_local), 0) as raw_amount_local,
        cast(count(*) as varchar) || ':' || {{ content_checksum([
            'transaction_id', 'loan_id', 'borrower_id', 'country_code', 'sector_code',
            'transaction_type', 'transaction_status', 'amount_local', 'currency_code',
            'transaction_at',
        ]) }} as partition_fingerprint
    from transactions
    group by partition_year, partition_month

)

select * from fingerprinted
