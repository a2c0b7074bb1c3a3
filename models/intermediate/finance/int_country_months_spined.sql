{#
    Every country in the countries seed for every month of the grid
    (int_months_with_period_completeness), whether or not the country had any
    transactions: the dense grid the monthly marts are built on, with the flags that say
    whether the month's quarter and year are complete.
#}
with

countries as (

    select country_code from {{ ref('countries') }}

),

months as (

    select
        month_start_date,
        is_quarter_complete,
        is_year_complete
    from {{ ref('int_months_with_period_completeness') }}

),

spined as (

    select
        countries.country_code,
        months.month_start_date,
        months.is_quarter_complete,
        months.is_year_complete
    from countries
    cross join months

)

select * from spined
