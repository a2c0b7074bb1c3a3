-- fct_country_monthly's counts and USD volumes equal those recomputed from the
-- transactions for every country-month, and the grid holds every transaction: nothing
-- dropped by the spine, nothing counted twice. Returns the country-months that disagree.

with

from_transactions as (

    select
        country_code,
        month_start_date,
        count(*) as transaction_count,
        count(case when is_settled then 1 end) as settled_count,
        count(case when is_successful then 1 end) as completed_count,
        coalesce(sum(case when is_successful then amount_usd end), 0) as volume_usd,
        coalesce(
            sum(case when is_successful and transaction_type = 'disbursement' then amount_usd end),
            0
        ) as disbursed_usd
    from {{ ref('fct_transactions') }}
    group by country_code, month_start_date

),

from_mart as (

    select * from {{ ref('fct_country_monthly') }}
    -- The grid's months without transactions are not compared: they hold zeros.
    where transaction_count != 0

)

{{ rows_that_differ(
    'from_transactions', 'from_mart', ['country_code', 'month_start_date'],
    ['transaction_count', 'settled_count', 'completed_count', 'volume_usd', 'disbursed_usd'],
) }}
