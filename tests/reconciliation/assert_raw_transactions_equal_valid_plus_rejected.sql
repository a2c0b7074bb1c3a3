-- Nothing is lost or duplicated on the way from the Parquet files to the facts: for every
-- partition month this build validated (every month in `make check-history`), the rows
-- delivered equal the rows in fct_transactions plus the rows in fct_rejected_transactions,
-- in count and in local-currency amount. Valid rows always lie in their partition's month
-- (outside_partition rejects the others), so the month of a fact is its partition. The
-- delivered side was counted from the files when the partition was last delivered
-- (int_transaction_partitions_totalled). Returns the months that disagree.

with

validated_now as (

    select
        versions.partition_year,
        versions.partition_month
    from {{ ref('int_transaction_versions') }} as versions
    where {{ in_this_run('versions.validated_at', ref('int_transaction_versions')) }}

),

raw_rows as (

    select
        partition_year,
        partition_month,
        totals.raw_row_count as row_count,
        totals.raw_amount_local as amount_local
    from {{ ref('int_transaction_partitions_totalled') }} as totals
    inner join validated_now using (partition_year, partition_month)

),

facts as (

    select
        extract(year from facts.month_start_date) as partition_year,
        extract(month from facts.month_start_date) as partition_month,
        count(*) as row_count,
        coalesce(sum(facts.amount_local), 0) as amount_local
    from {{ ref('fct_transactions') }} as facts
    where {{ in_this_run('facts.validated_at', ref('fct_transactions')) }}
    group by extract(year from facts.month_start_date), extract(month from facts.month_start_date)

),

rejected as (

    select
        partition_year,
        partition_month,
        count(*) as row_count,
        coalesce(sum(rejected.amount_local), 0) as amount_local
    from {{ ref('fct_rejected_transactions') }} as rejected
    inner join validated_now using (partition_year, partition_month)
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
