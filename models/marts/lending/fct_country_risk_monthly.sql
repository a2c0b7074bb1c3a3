{#
    The bank's exposure to each country next to the country's macroeconomic risk. The
    grid is dense (every country, every month), so a window of rows is a window of
    months: `rows between 11 preceding and current row` is the last 12 months.
#}
{%- set last_12_months = 'partition by country_code order by month_start_date '
    ~ 'rows between 11 preceding and current row' -%}
with

country_months as (

    select * from {{ ref('int_country_months_spined') }}

),

countries as (

    select
        country_code,
        country_name
    from {{ ref('countries') }}

),

activity as (

    select
        country_code,
        month_start_date,
        disbursed_usd,
        repaid_usd,
        interest_received_usd,
        completed_count,
        settled_count
    from {{ ref('int_transactions_aggregated_to_country_months') }}

),

indicators as (

    select
        country_code,
        month_start_date,
        gdp_growth_pct,
        inflation_pct,
        unemployment_pct,
        trade_balance_usd_mn,
        fdi_inflows_usd_mn,
        public_debt_pct_gdp,
        policy_rate_pct,
        local_per_usd
    from {{ ref('int_indicators_pivoted_to_country_months') }}

),

periods as (

    select
        month_start_date,
        is_quarter_complete,
        is_year_complete
    from {{ ref('int_months_with_period_completeness') }}

),

monthly as (

    select
        country_months.country_code,
        countries.country_name,
        country_months.month_start_date,
        {{ zero_when_inactive('activity', [
            'disbursed_usd', 'repaid_usd', 'interest_received_usd', 'completed_count',
            'settled_count',
        ]) }}
    from country_months
    inner join countries
        on country_months.country_code = countries.country_code
    left join activity
        on country_months.country_code = activity.country_code
        and country_months.month_start_date = activity.month_start_date

),

exposure as (

    select
        country_code,
        country_name,
        month_start_date,
        sum(disbursed_usd - repaid_usd) over (
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

),

with_share as (

    select
        exposure.*,
        cast(exposure.outstanding_usd as double precision) / nullif(
            sum(exposure.outstanding_usd) over (partition by exposure.month_start_date), 0
        ) as share_of_portfolio,
        {{ success_rate(
            'exposure.completed_last_12_months_count',
            'exposure.settled_last_12_months_count'
        ) }} as success_rate_last_12_months
    from exposure

),

joined as (

    select
        with_share.country_code,
        with_share.country_name,
        with_share.month_start_date,
        periods.is_quarter_complete,
        periods.is_year_complete,
        with_share.outstanding_usd,
        with_share.share_of_portfolio,
        with_share.disbursed_last_12_months_usd,
        with_share.repaid_last_12_months_usd,
        with_share.interest_received_last_12_months_usd,
        with_share.completed_last_12_months_count,
        with_share.settled_last_12_months_count,
        with_share.success_rate_last_12_months,
        indicators.gdp_growth_pct,
        indicators.inflation_pct,
        indicators.unemployment_pct,
        indicators.trade_balance_usd_mn,
        indicators.fdi_inflows_usd_mn,
        indicators.public_debt_pct_gdp,
        indicators.policy_rate_pct,
        indicators.local_per_usd,
        100 * (
            indicators.local_per_usd / nullif(year_earlier.local_per_usd, 0) - 1
        ) as local_per_usd_change_12_months_pct
    from with_share
    inner join periods
        on with_share.month_start_date = periods.month_start_date
    left join indicators
        on with_share.country_code = indicators.country_code
        and with_share.month_start_date = indicators.month_start_date
    left join indicators as year_earlier
        on with_share.country_code = year_earlier.country_code
        and year_earlier.month_start_date
        = cast({{ dbt.dateadd('month', -12, 'with_share.month_start_date') }} as date)

)

select * from joined
