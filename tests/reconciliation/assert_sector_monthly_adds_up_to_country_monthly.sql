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

    select
        country_code,
        month_start_date,
        transaction_count,
        settled_count,
        completed_count,
        disbursed_usd,
        repaid_usd,
        volume_usd
    from {{ ref('fct_country_monthly') }}

)

select
    coalesce(countries.country_code, sectors_summed.country_code) as country_code,
    coalesce(countries.month_start_date, sectors_summed.month_start_date) as month_start_date,
    countries.transaction_count as country_transaction_count,
    sectors_summed.transaction_count as sectors_transaction_count,
    countries.volume_usd as country_volume_usd,
    sectors_summed.volume_usd as sectors_volume_usd
from countries
full outer join sectors_summed
    on countries.country_code = sectors_summed.country_code
    and countries.month_start_date = sectors_summed.month_start_date
where
    countries.country_code is null
    or sectors_summed.country_code is null
    or countries.transaction_count != sectors_summed.transaction_count
    or countries.settled_count != sectors_summed.settled_count
    or countries.completed_count != sectors_summed.completed_count
    or countries.disbursed_usd != sectors_summed.disbursed_usd
    or countries.repaid_usd != sectors_summed.repaid_usd
    or countries.volume_usd != sectors_summed.volume_usd
