with

countries as (

    select * from {{ ref('countries') }}

),

demographics as (

    select * from {{ ref('int_demographics_validated') }}
    where is_valid

),

-- Valid rows are unique per country and year (a later copy is rejected as a duplicate,
-- and int_demographics_validated's key test, which runs first, holds the build to it),
-- so the latest year's row is the only one ranked first.
ranked_demographics as (

    select
        demographics.*,
        row_number() over (
            partition by demographics.country_code
            order by demographics.reference_year desc
        ) as recency
    from demographics

),

joined as (

    select
        countries.country_code,
        countries.country_iso2,
        countries.country_name,
        countries.currency_code,
        countries.currency_name,
        countries.subregion,
        countries.exchange_rate_regime,
        ranked_demographics.reference_year as demographics_year,
        ranked_demographics.population,
        ranked_demographics.urban_population_pct,
        ranked_demographics.literacy_rate_pct,
        ranked_demographics.life_expectancy_years,
        ranked_demographics.poverty_rate_pct,
        ranked_demographics.median_age_years
    from countries
    left join ranked_demographics
        on countries.country_code = ranked_demographics.country_code
        and ranked_demographics.recency = 1

)

select * from joined
