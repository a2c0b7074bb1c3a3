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

    select
        country_code,
        month_start_date,
        transaction_count,
        settled_count,
        completed_count,
        volume_usd,
        disbursed_usd
    from {{ ref('fct_country_monthly') }}

),

compared as (

    select
        from_transactions.country_code,
        from_transactions.month_start_date,
        from_transactions.transaction_count as expected_transaction_count,
        from_mart.transaction_count as mart_transaction_count,
        from_transactions.volume_usd as expected_volume_usd,
        from_mart.volume_usd as mart_volume_usd
    from from_transactions
    left join from_mart
        on from_transactions.country_code = from_mart.country_code
        and from_transactions.month_start_date = from_mart.month_start_date
    where
        from_mart.country_code is null
        or from_transactions.transaction_count != from_mart.transaction_count
        or from_transactions.settled_count != from_mart.settled_count
        or from_transactions.completed_count != from_mart.completed_count
        or from_transactions.volume_usd != from_mart.volume_usd
        or from_transactions.disbursed_usd != from_mart.disbursed_usd

),

unexplained_activity as (

    -- months in the mart with activity that no transaction accounts for
    select
        from_mart.country_code,
        from_mart.month_start_date,
        0 as expected_transaction_count,
        from_mart.transaction_count as mart_transaction_count,
        0 as expected_volume_usd,
        from_mart.volume_usd as mart_volume_usd
    from from_mart
    left join from_transactions
        on from_mart.country_code = from_transactions.country_code
        and from_mart.month_start_date = from_transactions.month_start_date
    where
        from_transactions.country_code is null
        and from_mart.transaction_count != 0

)

select * from compared
union all
select * from unexplained_activity
