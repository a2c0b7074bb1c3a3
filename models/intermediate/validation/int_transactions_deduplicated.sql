{#
    The keys of every delivered transaction row, flagged when an earlier delivery of its
    transaction_id exists (the first, by file then row, is the transaction): the history
    the cross-month rules consult. Incremental, and where a run decides which partitions
    to rebuild (macros/incremental/transaction_partitions_to_rebuild.sql).
#}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_partitions(transaction_partitions_to_rebuild(
        ref('int_transaction_partitions_fingerprinted'), ref('int_transactions_classified'))) }}",
) }}
{%- set partitions = transaction_partitions_to_rebuild(
    ref('int_transaction_partitions_fingerprinted'), ref('int_transactions_classified')
) -%}
{%- do log_partitions(partitions) -%}

with

batch as (

    select
        partition_year,
        partition_month,
        source_file,
        source_row_number,
        transaction_id,
        loan_id,
        borrower_id,
        transaction_type,
        is_successful,
        transaction_at
    from {{ ref('int_transactions_classified') }}
    {%- if is_incremental() %}
    where {{ in_partitions(partitions) }}
    {%- endif %}

),

fingerprints as (

    select * from {{ ref('int_transaction_partitions_fingerprinted') }}

),

-- Every delivery of the batch's ids: the batch's, and those stored from other partitions
-- (none on a full build).
deliveries as (

    select
        transaction_id,
        source_file,
        source_row_number,
        true as is_in_batch
    from batch
    where transaction_id is not null
    {%- if is_incremental() %}
    union all
    select
        transaction_id,
        source_file,
        source_row_number,
        false as is_in_batch
    from {{ this }}
    where
        not {{ in_partitions(partitions) }}
        and transaction_id in (select batch.transaction_id from batch)
    {%- endif %}

),

-- Only the ids delivered more than once are ranked (a hash aggregate finds them).
repeated_ids as (

    select transaction_id
    from deliveries
    group by transaction_id
    having count(*) > 1

),

later_deliveries as (

    select
        source_file,
        source_row_number
    from (
        select
            deliveries.source_file,
            deliveries.source_row_number,
            deliveries.is_in_batch,
            row_number() over (
                partition by deliveries.transaction_id
                order by deliveries.source_file, deliveries.source_row_number
            ) as occurrence
        from deliveries
        inner join repeated_ids using (transaction_id)
    ) as ranked
    where is_in_batch and occurrence > 1

),

flagged as (

    select
        batch.*,
        later_deliveries.source_file is not null as is_duplicate,
        fingerprints.partition_fingerprint,
        {{ this_run_timestamp() }} as deduplicated_at
    from batch
    inner join fingerprints using (partition_year, partition_month)
    left join later_deliveries using (source_file, source_row_number)

)

select * from flagged
