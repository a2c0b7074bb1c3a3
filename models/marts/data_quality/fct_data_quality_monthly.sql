{#
    Per source and month: the rows delivered, valid and rejected. Transactions are counted
    from what the build stored per partition (the delivered rows when the partition was
    last delivered, the valid and rejected rows of its current validation), so the mart
    costs no scan of the history; the indicators, demographics and loans are small enough
    to count. The month a row counts in: docs block data_quality_month.
#}
with

transaction_partitions as (

    select
        'transactions' as source_name,
        versions.month_start_date,
        totals.raw_row_count,
        versions.valid_row_count,
        versions.rejected_row_count
    from {{ ref('int_transaction_versions') }} as versions
    inner join {{ ref('int_transaction_partitions_totalled') }} as totals
        using (partition_year, partition_month)

),

other_rows as (

    select
        'economic_indicators' as source_name,
        coalesce(month_start_date, {{ partition_month_start('partition_year') }})
            as month_start_date,
        is_valid
    from {{ ref('int_economic_indicators_validated') }}
    union all
    select
        'demographics' as source_name,
        {{ partition_month_start('partition_year') }} as month_start_date,
        is_valid
    from {{ ref('int_demographics_validated') }}
    union all
    select
        'loans' as source_name,
        {{ partition_month_start('partition_year') }} as month_start_date,
        is_valid
    from {{ ref('int_loans_validated') }}

),

other_counts as (

    select
        source_name,
        month_start_date,
        count(*) as raw_row_count,
        count(case when is_valid then 1 end) as valid_row_count,
        count(case when not is_valid then 1 end) as rejected_row_count
    from other_rows
    group by source_name, month_start_date

),

counted as (

    select * from transaction_partitions
    union all
    select * from other_counts

),

reasons as (

    select distinct
        source_name,
        month_start_date,
        rejection_reason
    from {{ ref('int_rejections_split_by_reason') }}

),

reasons_listed as (

    select
        source_name,
        month_start_date,
        {{ dbt.listagg('rejection_reason', "', '", 'order by rejection_reason') }}
            as rejection_reasons
    from reasons
    group by source_name, month_start_date

),

assessed as (

    select
        counted.source_name,
        counted.month_start_date,
        counted.raw_row_count,
        counted.valid_row_count,
        counted.rejected_row_count,
        cast(counted.rejected_row_count as double precision) / counted.raw_row_count
            as rejected_share,
        cast(counted.rejected_row_count as double precision) / counted.raw_row_count
        > {{ var('max_rejected_share') }} as exceeds_threshold,
        reasons_listed.rejection_reasons
    from counted
    left join reasons_listed using (source_name, month_start_date)

)

select * from assessed
