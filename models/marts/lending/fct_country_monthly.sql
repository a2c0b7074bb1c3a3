with

country_months as (

    select * from {{ ref('int_country_months_spined') }}

),

activity as (

    select * from {{ ref('int_transactions_aggregated_to_country_months') }}

),

indicators as (

    select * from {{ ref('int_indicators_pivoted_to_country_months') }}

),

demographics as (

    select
        country_code,
        reference_year,
        population
    from {{ ref('int_demographics_validated') }}
    where is_valid

),

countries as (

    select * from {{ ref('countries') }}

),

joined as (

    select
        country_months.country_code,
        countries.country_name,
        countries.subregion,
        country_months.month_start_date,
        country_months.is_quarter_complete,
        country_months.is_year_complete,
        {{ zero_when_inactive('activity', transaction_status_counts()) }},
        activity.success_rate,
        {{ zero_when_inactive('activity', [
            'disbursed_usd', 'repaid_usd', 'interest_received_usd', 'fees_received_usd',
            'volume_usd', 'written_off_usd', 'completed_disbursement_count',
        ]) }},
        cast(activity.disbursed_usd as double precision)
        / nullif(activity.completed_disbursement_count, 0) as average_disbursement_usd,
        {{ zero_when_inactive('activity', ['active_borrower_count']) }},
        demographics.population,
        cast(coalesce(activity.disbursed_usd, 0) as double precision)
        / nullif(demographics.population, 0) as lending_per_capita_usd,
        indicators.gdp_growth_pct,
        indicators.inflation_pct,
        indicators.local_per_usd,
        indicators.local_per_usd_change_1_month_pct,
        indicators.policy_rate_pct
    from country_months
    inner join countries using (country_code)
    left join activity using (country_code, month_start_date)
    left join indicators using (country_code, month_start_date)
    left join demographics
        on country_months.country_code = demographics.country_code
        and extract(year from country_months.month_start_date)
        = demographics.reference_year

)

select * from joined
