with

months as (

    select * from {{ ref('int_months_with_period_completeness') }}

),

labelled as (

    select
        month_start_date,
        quarter_start_date,
        calendar_year,
        cast(calendar_year as varchar(4)) || ' Q'
        || cast(extract(quarter from month_start_date) as varchar(1)) as quarter_label,
        quarter_month_count,
        year_month_count,
        is_quarter_complete,
        is_year_complete,
        is_latest_month
    from months

)

select * from labelled
