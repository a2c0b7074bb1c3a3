with

country_months as (

    select * from {{ ref('int_country_months_spined') }}

),

sectors as (

    select
        sector_code,
        sector_name,
        sector_group
    from {{ ref('sectors') }}

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
        coalesce(activity.transaction_count, 0) as transaction_count,
        coalesce(activity.completed_count, 0) as completed_count,
        coalesce(activity.failed_count, 0) as failed_count,
        coalesce(activity.reversed_count, 0) as reversed_count,
        coalesce(activity.pending_count, 0) as pending_count,
        coalesce(activity.settled_count, 0) as settled_count,
        activity.success_rate,
        coalesce(activity.disbursed_usd, 0) as disbursed_usd,
        coalesce(activity.repaid_usd, 0) as repaid_usd,
        coalesce(activity.volume_usd, 0) as volume_usd
    from country_months
    cross join sectors
    left join activity
        on sectors.sector_code = activity.sector_code
        and country_months.country_code = activity.country_code
        and country_months.month_start_date = activity.month_start_date

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
