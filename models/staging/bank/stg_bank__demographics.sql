with

source as (

    select * from {{ source('bank', 'demographics') }}

),

renamed as (

    select
        {{ source_row_lineage(['country_code', 'reference_year']) }},
        cast(year as integer) as partition_year,
        country_code,
        cast(reference_year as integer) as reference_year,
        cast(population as bigint) as population,
        cast(urban_population_pct as double precision) as urban_population_pct,
        cast(literacy_rate_pct as double precision) as literacy_rate_pct,
        cast(life_expectancy_years as double precision) as life_expectancy_years,
        cast(poverty_rate_pct as double precision) as poverty_rate_pct,
        cast(median_age_years as double precision) as median_age_years
    from source

)

select * from renamed
