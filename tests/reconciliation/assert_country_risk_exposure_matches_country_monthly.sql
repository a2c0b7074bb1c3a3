-- The exposure of fct_country_risk_monthly, recomputed from fct_country_monthly without
-- window functions: the outstanding balance is the loans file's balances brought forward
-- plus every earlier month's disbursed less repaid and written off, the last-12-months
-- figures the sums of the month and the 11 before it. Returns the rows that differ.

{% set last_12_months_start =
    "cast(" ~ dbt.dateadd('month', -12, 'risk.month_start_date') ~ " as date)" %}

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
        interest_received_usd,
        written_off_usd
    from {{ ref('fct_country_monthly') }}

),

brought_forward as (

    select
        country_code,
        sum(disbursed_before_window - repaid_before_window) as brought_forward_usd
    from {{ ref('int_loans_validated') }}
    where is_valid
    group by country_code

),

earlier_months as (

    select
        risk.country_code,
        risk.month_start_date,
        monthly.disbursed_usd - monthly.repaid_usd - monthly.written_off_usd as net_usd,
        case
            when monthly.month_start_date > {{ last_12_months_start }}
                then monthly.disbursed_usd
            else 0
        end as disbursed_last_12_months_usd,
        case
            when monthly.month_start_date > {{ last_12_months_start }}
                then monthly.repaid_usd
            else 0
        end as repaid_last_12_months_usd,
        case
            when monthly.month_start_date > {{ last_12_months_start }}
                then monthly.interest_received_usd
            else 0
        end as interest_received_last_12_months_usd
    from risk
    inner join monthly
        on risk.country_code = monthly.country_code
        and risk.month_start_date >= monthly.month_start_date

),

recomputed as (

    select
        earlier_months.country_code,
        earlier_months.month_start_date,
        coalesce(max(brought_forward.brought_forward_usd), 0)
        + sum(earlier_months.net_usd) as outstanding_usd,
        sum(earlier_months.disbursed_last_12_months_usd) as disbursed_last_12_months_usd,
        sum(earlier_months.repaid_last_12_months_usd) as repaid_last_12_months_usd,
        sum(earlier_months.interest_received_last_12_months_usd)
            as interest_received_last_12_months_usd
    from earlier_months
    left join brought_forward
        on earlier_months.country_code = brought_forward.country_code
    group by earlier_months.country_code, earlier_months.month_start_date

)

{{ rows_that_differ('recomputed', 'risk', ['country_code', 'month_start_date'], [
    'outstanding_usd', 'disbursed_last_12_months_usd', 'repaid_last_12_months_usd',
    'interest_received_last_12_months_usd',
]) }}
