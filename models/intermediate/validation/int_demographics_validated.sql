{#
    Every raw demographics row with the codes of the validation rules it breaks.
#}
{%- set rules = [
    ('missing_country_code', 'country_code is null'),
    ('unknown_country', 'country_code is not null and known_country_code is null'),
    ('missing_reference_year', 'reference_year is null'),
    ('population_not_positive', 'coalesce(population, 0) <= 0'),
    ('percentage_out_of_range',
        'urban_population_pct not between 0 and 100'
        ~ ' or literacy_rate_pct not between 0 and 100'
        ~ ' or poverty_rate_pct not between 0 and 100'),
    ('age_out_of_range',
        'life_expectancy_years not between 20 and 100'
        ~ ' or median_age_years not between 5 and 80'),
    ('duplicate_country_year',
        'country_code is not null and reference_year is not null and occurrence > 1'),
] -%}

with

demographics as (

    select * from {{ ref('stg_bank__demographics') }}

),

countries as (

    select country_code from {{ ref('countries') }}

),

-- The first delivered row for a country and year wins, in file order.
numbered as (

    select
        demographics.*,
        row_number() over (
            partition by demographics.country_code, demographics.reference_year
            order by demographics.source_file, demographics.source_row_number
        ) as occurrence
    from demographics

),

facts as (

    select
        numbered.*,
        countries.country_code as known_country_code
    from numbered
    left join countries
        on numbered.country_code = countries.country_code

),

validated as (

    select
        source_file,
        source_row_number,
        partition_year,
        country_code,
        reference_year,
        population,
        urban_population_pct,
        literacy_rate_pct,
        life_expectancy_years,
        poverty_rate_pct,
        median_age_years,
        {{ rejection_reasons(rules) | indent(8) }}
    from facts

)

select * from validated
