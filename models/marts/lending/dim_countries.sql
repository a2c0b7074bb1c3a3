with

countries as (

    select * from {{ ref('countries') }}

),

demographics as (

    select
        country_code,
        reference_year,
        population,
        urban_population_pct,
        literacy_rate_pct,
        life_expectancy_years,
        poverty_rate_pct,
        median_age_years
    from {{ ref('int_demographics_validated') }}
    where is_valid

),

latest_years as (

    select
        country_code,
        max(reference_year) as reference_year
    from demographics
    group by country_code

),

latest_demographics as (

    select demographics.*
    from demographics
    inner join latest_years
        on demographics.country_code = latest_years.country_code
        and demographics.reference_year = latest_years.reference_year

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
        latest_demographics.reference_year as demographics_year,
        latest_demographics.population,
        latest_demographics.urban_population_pct,
        latest_demographics.literacy_rate_pct,
        latest_demographics.life_expectancy_years,
        latest_demographics.poverty_rate_pct,
        latest_demographics.median_age_years
    from countries
    left join latest_demographics
        on countries.country_code = latest_demographics.country_code

)

select * from joined
