{#
    One row per delivered monthly partition of raw transactions and loan its rows name:
    which loans of the loans file a partition's verdicts depend on (unknown_loan,
    loan_mismatch, loan_never_disbursed), so that a revised loan validates again only the
    partitions with its transactions (int_transaction_partitions_fingerprinted).
    Incremental by partition like int_transaction_partitions_totalled: a run reads the
    rows of only the partitions whose files changed.
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

    select
        partition_year,
        partition_month,
        loan_id
    from {{ ref('stg_bank__transactions') }}
    where loan_id is not null
    {%- if is_incremental() %}
        and {{ in_partitions(partitions) }}
    {%- endif %}

),

listed as (

    select distinct
        transactions.partition_year,
        transactions.partition_month,
        transactions.loan_id,
        signatures.delivery_signature
    from transactions
    inner join signatures using (partition_year, partition_month)

)

select * from listed
