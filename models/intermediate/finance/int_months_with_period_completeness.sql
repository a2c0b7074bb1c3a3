{#
    Every month of the grid (the first to the latest month with valid transactions), with
    its quarter and year and whether the data covers them whole: a quarter or year is
    partial until its last month is delivered (and the first ones if the data started in
    the middle of them).
#}
with

months as (

    select distinct month_start_date
    from {{ ref('int_country_months_spined') }}

),

periods as (

    select
        month_start_date,
        cast({{ dbt.date_trunc('quarter', 'month_start_date') }} as date) as quarter_start_date,
        cast(extract(year from month_start_date) as integer) as calendar_year
    from months

),

counted as (

    select
        month_start_date,
        quarter_start_date,
        calendar_year,
        count(*) over (partition by quarter_start_date) as quarter_month_count,
        count(*) over (partition by calendar_year) as year_month_count,
        max(month_start_date) over () as latest_month_start_date
    from periods

),

flagged as (

    select
        month_start_date,
        quarter_start_date,
        calendar_year,
        quarter_month_count,
        year_month_count,
        quarter_month_count = 3 as is_quarter_complete,
        year_month_count = 12 as is_year_complete,
        month_start_date = latest_month_start_date as is_latest_month
    from counted

)

select * from flagged
