with

indicators as (

    select
        country_code,
        month_start_date,
        indicator_code,
        indicator_value
    from {{ ref('int_economic_indicators_validated') }}
    where is_valid

),

pivoted as (

    select
        country_code,
        month_start_date,
        max(case when indicator_code = 'gdp_growth' then indicator_value end) as gdp_growth_pct,
        max(case when indicator_code = 'inflation' then indicator_value end) as inflation_pct,
        max(case when indicator_code = 'exchange_rate' then indicator_value end)
            as local_per_usd,
        max(case when indicator_code = 'policy_rate' then indicator_value end)
            as policy_rate_pct,
        max(case when indicator_code = 'unemployment' then indicator_value end)
            as unemployment_pct,
        max(case when indicator_code = 'trade_balance' then indicator_value end)
            as trade_balance_usd_mn,
        max(case when indicator_code = 'fdi_inflows' then indicator_value end)
            as fdi_inflows_usd_mn,
        max(case when indicator_code = 'public_debt' then indicator_value end)
            as public_debt_pct_gdp
    from indicators
    group by country_code, month_start_date

),

with_previous_month as (

    select
        pivoted.*,
        100 * (pivoted.local_per_usd / nullif(previous_month.local_per_usd, 0) - 1)
            as local_per_usd_change_pct
    from pivoted
    left join pivoted as previous_month
        on pivoted.country_code = previous_month.country_code
        and previous_month.month_start_date
        = cast({{ dbt.dateadd('month', -1, 'pivoted.month_start_date') }} as date)

)

select * from with_previous_month
