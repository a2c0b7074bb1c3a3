{#
    One row per delivered monthly partition: its current version in
    int_transaction_validations, the newest validation of a partition still delivered (a
    withdrawn month has none, even while its published rows wait to be replaced).
#}
{{ config(materialized='table') }}

with

validations as (

    select
        partition_year,
        partition_month,
        validated_at
    from {{ ref('int_transaction_validations') }}

),

delivered as (

    select distinct
        partition_year,
        partition_month
    from {{ ref('int_transactions_deduplicated') }}

),

current_versions as (

    select
        validations.partition_year,
        validations.partition_month,
        {{ partition_month_start('validations.partition_year', 'validations.partition_month') }}
            as month_start_date,
        max(validations.validated_at) as validated_at
    from validations
    inner join delivered using (partition_year, partition_month)
    group by validations.partition_year, validations.partition_month

)

select * from current_versions
