-- Nothing is lost or duplicated on the way from the Parquet files to the facts: for every
-- partition month, the raw rows equal the rows in fct_transactions plus the rows in
-- fct_rejected_transactions, in count and in local-currency amount. Valid rows always
-- lie in their partition's month (outside_partition rejects the others), so the month of
-- a fact is its partition. Returns the months that disagree.

with

-- Counted once per run when the partitions are fingerprinted, not by re-reading Parquet.
raw_rows as (

    select
        partition_year,
        partition_month,
        raw_row_count as row_count,
        raw_amount_local as amount_local
    from {{ ref('int_transaction_partitions_fingerprinted') }}

),

facts as (

    select
        extract(year from month_start_date) as partition_year,
        extract(month from month_start_date) as partition_month,
        count(*) as row_count,
        coalesce(sum(amount_local), 0) as amount_local
    from {{ ref('fct_transactions') }}
    group by extract(year from month_start_date), extract(month from month_start_date)

),

rejected as (

    select
        partition_year,
        partition_month,
        count(*) as row_count,
        coalesce(sum(amount_local), 0) as amount_local
    from {{ ref('fct_rejected_transactions') }}
    group by partition_year, partition_month

),

accounted_rows as (

    select * from facts
    union all
    select * from rejected

),

accounted as (

    select
        partition_year,
        partition_month,
        sum(row_count) as row_count,
        sum(amount_local) as amount_local
    from accounted_rows
    group by partition_year, partition_month

)

{{ rows_that_differ(
    'raw_rows', 'accounted', ['partition_year', 'partition_month'], ['row_count', 'amount_local']
) }}
