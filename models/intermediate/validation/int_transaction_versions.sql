{#
    One row per delivered monthly partition: its current version in
    int_transaction_validations, the newest validation of a partition still delivered (a
    withdrawn month has none, even while its published rows wait to be replaced), and how
    many of that version's rows were valid and rejected: the per-partition totals the
    aggregates, the data-quality marts and the reconciliations read instead of the rows.
#}
{{ config(materialized='table') }}

with

validations as (

    select
        partition_year,
        partition_month,
        validated_at,
        count(*) as row_count,
        count(case when is_valid then 1 end) as valid_row_count
    from {{ ref('int_transaction_validations') }}
    group by partition_year, partition_month, validated_at

),

delivered as (

    select
        partition_year,
        partition_month
    from {{ ref('int_transaction_partitions_totalled') }}

),

newest as (

    select
        validations.*,
        row_number() over (
            partition by validations.partition_year, validations.partition_month
            order by validations.validated_at desc
        ) as recency
    from validations
    inner join delivered using (partition_year, partition_month)

),

current_versions as (

    select
        partition_year,
        partition_month,
        {{ partition_month_start('partition_year', 'partition_month') }} as month_start_date,
        validated_at,
        row_count,
        valid_row_count,
        row_count - valid_row_count as rejected_row_count
    from newest
    where recency = 1

)

select * from current_versions
