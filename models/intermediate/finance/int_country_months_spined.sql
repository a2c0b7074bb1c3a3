{#
    Every country in the countries seed for every month from the first to the last month
    with valid transactions, whether or not the country had any: the dense grid the
    monthly marts are built on.
#}
{%- set of_valid_rows = ' from ' ~ ref('int_transactions_validated') ~ ' where is_valid)' -%}
with

countries as (

    select country_code from {{ ref('countries') }}

),

months as (

    {{ month_spine(
        start_month='(select min(month_start_date)' ~ of_valid_rows,
        end_month='(select max(month_start_date)' ~ of_valid_rows
    ) | indent(4) }}

),

spined as (

    select
        countries.country_code,
        months.month_start_date
    from countries
    cross join months

)

select * from spined
