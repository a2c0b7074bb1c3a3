-- fct_country_monthly's counts and USD volumes equal those recomputed from the
-- transactions, for every country-month this build validated (every one in `make
-- check-history`), and the grid holds every transaction: nothing dropped by the spine,
-- nothing counted twice. A month is validated whole, so its transactions are all of this
-- build's. Returns the country-months that disagree.

with

from_transactions as (

    select
        facts.country_code,
        facts.month_start_date,
        count(*) as transaction_count,
        count(case when facts.is_settled then 1 end) as settled_count,
        count(case when facts.is_successful then 1 end) as completed_count,
        coalesce(sum(case when facts.is_successful then facts.amount_usd end), 0) as volume_usd,
        coalesce(
            sum(
                case
                    when facts.is_successful and facts.transaction_type = 'disbursement'
                        then facts.amount_usd
                end
            ),
            0
        ) as disbursed_usd
    from {{ ref('fct_transactions') }} as facts
    where {{ in_this_run('facts.validated_at', ref('fct_transactions')) }}
    group by facts.country_code, facts.month_start_date

),

from_mart as (

    select mart.* from {{ ref('fct_country_monthly') }} as mart
    -- The grid's months without transactions are not compared: they hold zeros.
    where
        mart.transaction_count != 0
        and mart.month_start_date in (
            select recomputed.month_start_date from from_transactions as recomputed
        )

)

{{ rows_that_differ(
    'from_transactions', 'from_mart', ['country_code', 'month_start_date'],
    ['transaction_count', 'settled_count', 'completed_count', 'volume_usd', 'disbursed_usd'],
) }}
