-- The exposure of fct_country_risk_monthly, recomputed from fct_country_monthly without
-- window functions: the outstanding balance is every earlier month's disbursed less
-- repaid, the last-12-months figures the sums of the month and the 11 before it, and the
-- shares of the portfolio of a month add up to 1. Returns the rows that differ.

with

risk as (

    select
        country_code,
        month_start_date,
        outstanding_usd,
        disbursed_last_12_months_usd,
        repaid_last_12_months_usd,
        interest_received_last_12_months_usd,
        share_of_portfolio
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

),

shares as (

    select
        month_start_date,
        sum(share_of_portfolio) as share_total
    from risk
    group by month_start_date

)

select
    risk.country_code,
    risk.month_start_date,
    risk.outstanding_usd,
    recomputed.outstanding_usd as recomputed_outstanding_usd,
    shares.share_total
from risk
left join recomputed
    on risk.country_code = recomputed.country_code
    and risk.month_start_date = recomputed.month_start_date
inner join shares
    on risk.month_start_date = shares.month_start_date
where
    recomputed.country_code is null
    or risk.outstanding_usd != recomputed.outstanding_usd
    or risk.disbursed_last_12_months_usd != recomputed.disbursed_last_12_months_usd
    or risk.repaid_last_12_months_usd != recomputed.repaid_last_12_months_usd
    or risk.interest_received_last_12_months_usd
    != recomputed.interest_received_last_12_months_usd
    or (shares.share_total is not null and abs(shares.share_total - 1) > 0.000001)
