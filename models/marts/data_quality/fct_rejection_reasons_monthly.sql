with

split as (

    select * from {{ ref('int_rejections_split_by_reason') }}

),

counted as (

    select
        source_name,
        month_start_date,
        rejection_reason,
        count(*) as rejected_row_count
    from split
    group by source_name, month_start_date, rejection_reason

)

select * from counted
