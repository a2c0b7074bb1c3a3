-- The sectors of a country-month add up to the country-month: transaction counts,
-- settled and completed counts, and USD volumes. Returns the country-months that differ.

with

sectors_summed as (

    select
        country_code,
        month_start_date,
        sum(transaction_count) as transaction_count,
        sum(settled_count) as settled_count,
        sum(completed_count) as completed_count,
        sum(disbursed_usd) as disbursed_usd,
        sum(repaid_usd) as repaid_usd,
        sum(volume_usd) as volume_usd
    from {{ ref('fct_sector_monthly') }}
    group by country_code, month_start_date

),

countries as (

    select * from {{ ref('fct_country_monthly') }}

)

{{ rows_that_differ(
    'countries', 'sectors_summed', ['country_code', 'month_start_date'], [
        'transaction_count', 'settled_count', 'completed_count', 'disbursed_usd',
        'repaid_usd', 'volume_usd',
    ]
) }}
