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

compared as (

    select
        raw_rows.partition_year,
        raw_rows.partition_month,
        raw_rows.row_count as raw_row_count,
        coalesce(facts.row_count, 0) as fact_row_count,
        coalesce(rejected.row_count, 0) as rejected_row_count,
        raw_rows.amount_local as raw_amount_local,
        coalesce(facts.amount_local, 0) + coalesce(rejected.amount_local, 0)
            as accounted_amount_local
    from raw_rows
    left join facts
        on raw_rows.partition_year = facts.partition_year
        and raw_rows.partition_month = facts.partition_month
    left join rejected
        on raw_rows.partition_year = rejected.partition_year
        and raw_rows.partition_month = rejected.partition_month

),

facts_without_raw_rows as (

    select
        facts.partition_year,
        facts.partition_month,
        0 as raw_row_count,
        facts.row_count as fact_row_count,
        0 as rejected_row_count,
        0 as raw_amount_local,
        facts.amount_local as accounted_amount_local
    from facts
    left join raw_rows
        on facts.partition_year = raw_rows.partition_year
        and facts.partition_month = raw_rows.partition_month
    where raw_rows.partition_year is null

)

select *
from compared
where
    raw_row_count != fact_row_count + rejected_row_count
    or raw_amount_local != accounted_amount_local
union all
select * from facts_without_raw_rows
