with

transactions as (

    select * from {{ ref('int_transactions_classified') }}

),

exchange_rates as (

    select
        country_code,
        month_start_date,
        local_per_usd
    from {{ ref('int_indicators_pivoted_to_country_months') }}

),

converted as (

    select
        transactions.*,
        exchange_rates.local_per_usd,
        -- The month's average rate, as the research department's reports use; null when
        -- the month has no published rate.
        cast(
            transactions.amount_local / exchange_rates.local_per_usd as numeric(18, 2)
        ) as amount_usd
    from transactions
    left join exchange_rates using (country_code, month_start_date)

)

-- The classified rows column for column, plus the rate and the USD amount.
select * from converted  -- noqa: AM04
