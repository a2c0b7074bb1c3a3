with

source_rows as (

    select * from {{ ref('int_validated_rows_unioned') }}

),

reasons as (

    select distinct
        source_name,
        month_start_date,
        rejection_reason
    from {{ ref('int_rejections_split_by_reason') }}

),

counted as (

    select
        source_name,
        month_start_date,
        count(*) as raw_row_count,
        count(case when is_valid then 1 end) as valid_row_count,
        count(case when not is_valid then 1 end) as rejected_row_count
    from source_rows
    group by source_name, month_start_date

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
