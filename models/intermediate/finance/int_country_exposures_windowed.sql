{#
    The bank's exposure to each country, month by month: the outstanding balance (the
    loans file's balances brought forward at the window's start, plus what was disbursed,
    less what was repaid and written off since) and the flows of the last 12 months. The grid is dense (every country, every month), so a
    window of rows is a window of months: `rows between 11 preceding and current row` is
    the last 12 months.
#}
{%- set last_12_months = 'partition by country_code order by month_start_date '
    ~ 'rows between 11 preceding and current row' -%}
with

country_months as (

    select * from {{ ref('int_country_months_spined') }}

),

brought_forward as (

    select
        country_code,
        sum(disbursed_before_window - repaid_before_window) as brought_forward_usd
    from {{ ref('int_loans_validated') }}
    where is_valid
    group by country_code

),

activity as (

    select
        country_code,
        month_start_date,
        disbursed_usd,
        repaid_usd,
        interest_received_usd,
        written_off_usd,
        completed_count,
        settled_count
    from {{ ref('int_transactions_aggregated_to_country_months') }}

),

monthly as (

    select
        country_months.country_code,
        country_months.month_start_date,
        country_months.is_quarter_complete,
        country_months.is_year_complete,
        {{ zero_when_inactive('activity', [
            'disbursed_usd', 'repaid_usd', 'interest_received_usd', 'written_off_usd',
            'completed_count', 'settled_count',
        ]) }},
        coalesce(brought_forward.brought_forward_usd, 0) as brought_forward_usd
    from country_months
    left join activity using (country_code, month_start_date)
    left join brought_forward using (country_code)

),

windowed as (

    select
        country_code,
        month_start_date,
        is_quarter_complete,
        is_year_complete,
        brought_forward_usd + sum(disbursed_usd - repaid_usd - written_off_usd) over (
            partition by country_code order by month_start_date
            rows between unbounded preceding and current row
        ) as outstanding_usd,
        sum(disbursed_usd) over ({{ last_12_months }}) as disbursed_last_12_months_usd,
        sum(repaid_usd) over ({{ last_12_months }}) as repaid_last_12_months_usd,
        sum(interest_received_usd) over ({{ last_12_months }})
            as interest_received_last_12_months_usd,
        -- A sum of bigints is wider on some engines: counts stay bigint.
        cast(sum(completed_count) over ({{ last_12_months }}) as bigint)
            as completed_last_12_months_count,
        cast(sum(settled_count) over ({{ last_12_months }}) as bigint)
            as settled_last_12_months_count
    from monthly

)

select * from windowed
