-- The countries' shares of the portfolio in fct_country_risk_monthly add up to 1 in every
-- month with anything outstanding. Returns the months where they do not.

with

shares as (

    select
        month_start_date,
        sum(share_of_portfolio) as share_total
    from {{ ref('fct_country_risk_monthly') }}
    group by month_start_date

)

select
    month_start_date,
    share_total
from shares
where abs(share_total - 1) > 0.000001
