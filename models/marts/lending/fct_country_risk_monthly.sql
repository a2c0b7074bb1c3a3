{#
    The bank's exposure to each country (int_country_exposures_windowed) next to the
    country's macroeconomic risk, with each country's share of the portfolio.
#}
with

exposures as (

    select * from {{ ref('int_country_exposures_windowed') }}

),

countries as (

    select * from {{ ref('countries') }}

),

indicators as (

    select * from {{ ref('int_indicators_pivoted_to_country_months') }}

),

with_share as (

    select
        exposures.*,
        countries.country_name,
        cast(exposures.outstanding_usd as double precision) / nullif(
            sum(exposures.outstanding_usd) over (partition by exposures.month_start_date), 0
        ) as share_of_portfolio,
        {{ success_rate(
            'exposures.completed_last_12_months_count',
            'exposures.settled_last_12_months_count'
        ) }} as success_rate_last_12_months
    from exposures
    inner join countries using (country_code)

),

joined as (

    select
        with_share.country_code,
        with_share.country_name,
        with_share.month_start_date,
        with_share.is_quarter_complete,
        with_share.is_year_complete,
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
    left join indicators using (country_code, month_start_date)
    left join indicators as year_earlier
        on with_share.country_code = year_earlier.country_code
        and year_earlier.month_start_date
        = cast({{ dbt.dateadd('month', -12, 'with_share.month_start_date') }} as date)

)

select * from joined
