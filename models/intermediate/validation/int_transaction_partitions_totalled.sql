{#
    One row per delivered monthly partition of raw transactions: the signature of its files
    (stg_bank__transaction_files) and what its rows add up to, counted when the partition was
    last delivered. Incremental by partition: a run reads the rows of only the partitions
    whose files changed, so a build with nothing new scans no Parquet. The totals are what
    the reconciliations compare the facts with; the content checksum is what the partition
    fingerprint follows (a file written again with the same rows rebuilds nothing else).
#}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_partitions(partitions_to_rebuild(
        delivery_signatures(ref('stg_bank__transaction_files')), 'delivery_signature')) }}",
) }}
{%- set partitions = partitions_to_rebuild(
    delivery_signatures(ref('stg_bank__transaction_files')), 'delivery_signature'
) -%}
{%- do log_partitions(partitions) -%}

with

signatures as (

    select * from {{ delivery_signatures(ref('stg_bank__transaction_files')) }}
    {%- if is_incremental() %}
    where {{ in_partitions(partitions) }}
    {%- endif %}

),

transactions as (

    select * from {{ ref('stg_bank__transactions') }}
    {%- if is_incremental() %}
    where {{ in_partitions(partitions) }}
    {%- endif %}

),

totals as (

    select
        partition_year,
        partition_month,
        count(*) as raw_row_count,
        coalesce(sum(amount_local), 0) as raw_amount_local,
        max(transaction_at) as latest_transaction_at,
        {{ content_checksum([
            'transaction_id', 'loan_id', 'borrower_id', 'country_code', 'sector_code',
            'transaction_type', 'transaction_status', 'amount_local', 'currency_code',
            'transaction_at',
        ]) }} as content_checksum
    from transactions
    group by partition_year, partition_month

),

totalled as (

    select
        signatures.partition_year,
        signatures.partition_month,
        signatures.delivery_signature,
        coalesce(totals.raw_row_count, 0) as raw_row_count,
        coalesce(totals.raw_amount_local, 0) as raw_amount_local,
        totals.latest_transaction_at,
        coalesce(totals.content_checksum, 'no rows') as content_checksum,
        {{ this_run_timestamp() }} as totalled_at
    from signatures
    left join totals using (partition_year, partition_month)

)

select * from totalled
