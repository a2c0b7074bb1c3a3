with

validated as (

    select * from {{ ref('int_demographics_validated') }}
    where not is_valid

),

rejected as (

    select
        source_file,
        source_row_number,
        partition_year,
        rejection_reasons,
        country_code,
        reference_year,
        population,
        urban_population_pct,
        literacy_rate_pct,
        life_expectancy_years,
        poverty_rate_pct,
        median_age_years
    from validated

)

select * from rejected
