-- The exposure of fct_country_risk_monthly, recomputed from fct_country_monthly without
-- window functions: the outstanding balance is every earlier month's disbursed less
-- repaid, the last-12-months figures the sums of the month and the 11 before it. Returns
-- the rows that differ.

with

risk as (

    select
        country_code,
        month_start_date,
        outstanding_usd,
        disbursed_last_12_months_usd,
        repaid_last_12_months_usd,
        interest_received_last_12_months_usd
    from {{ ref('fct_country_risk_monthly') }}

),

monthly as (

    select
        country_code,
        month_start_date,
        disbursed_usd,
        repaid_usd,
        interest_received_usd
    from {{ ref('fct_country_monthly') }}

),

earlier_months as (

    select
        risk.country_code,
        risk.month_start_date,
        monthly.disbursed_usd,
        monthly.repaid_usd,
        monthly.interest_received_usd,
        monthly.month_start_date
        > cast({{ dbt.dateadd('month', -12, 'risk.month_start_date') }} as date)
            as is_in_last_12_months
    from risk
    inner join monthly
        on risk.country_code = monthly.country_code
        and risk.month_start_date >= monthly.month_start_date

),

recomputed as (

    select
        country_code,
        month_start_date,
        sum(disbursed_usd - repaid_usd) as outstanding_usd,
        sum(case when is_in_last_12_months then disbursed_usd else 0 end)
            as disbursed_last_12_months_usd,
        sum(case when is_in_last_12_months then repaid_usd else 0 end)
            as repaid_last_12_months_usd,
        sum(case when is_in_last_12_months then interest_received_usd else 0 end)
            as interest_received_last_12_months_usd
    from earlier_months
    group by country_code, month_start_date

)

{{ rows_that_differ('recomputed', 'risk', ['country_code', 'month_start_date'], [
    'outstanding_usd', 'disbursed_last_12_months_usd', 'repaid_last_12_months_usd',
    'interest_received_last_12_months_usd',
]) }}
