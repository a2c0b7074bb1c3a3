{#
    Every month from the first to the latest month with valid transactions (the grid the
    monthly marts are built on), with its quarter and year and whether the data covers
    them whole: a quarter or year is partial until its last month is delivered (and the
    first ones if the data started in the middle of them). The months with valid
    transactions are those of the country-month aggregates, a small table.
#}
{%- set of_valid_rows = ' from ' ~ ref('int_transactions_aggregated_to_country_months') ~ ')' -%}
with

months as (

    {{ month_spine(
        start_month='(select min(month_start_date)' ~ of_valid_rows,
        end_month='(select max(month_start_date)' ~ of_valid_rows
    ) | indent(4) }}

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
