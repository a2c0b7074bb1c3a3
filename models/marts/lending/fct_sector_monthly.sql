with

country_months as (

    select * from {{ ref('int_country_months_spined') }}

),

sectors as (

    select * from {{ ref('sectors') }}

),

activity as (

    select * from {{ ref('int_transactions_aggregated_to_sector_months') }}

),

joined as (

    select
        sectors.sector_code,
        sectors.sector_name,
        sectors.sector_group,
        country_months.country_code,
        country_months.month_start_date,
        country_months.is_quarter_complete,
        country_months.is_year_complete,
        {{ zero_when_inactive('activity', transaction_status_counts()) }},
        activity.success_rate,
        {{ zero_when_inactive('activity', ['disbursed_usd', 'repaid_usd', 'volume_usd']) }}
    from country_months
    cross join sectors
    left join activity using (sector_code, country_code, month_start_date)

),

with_country_share as (

    select
        joined.*,
        cast(joined.volume_usd as double precision) / nullif(
            sum(joined.volume_usd) over (
                partition by joined.country_code, joined.month_start_date
            ),
            0
        ) as share_of_country_volume
    from joined

)

select * from with_country_share
