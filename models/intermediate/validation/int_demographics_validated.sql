{#
    Every raw demographics row with the codes of the validation rules it breaks.
    The first delivered row for a country and year wins, in file order: a later one is
    the duplicate.
#}
{%- set occurrence = 'row_number() over (partition by country_code, reference_year'
    ~ ' order by source_file, source_row_number)' -%}
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
        'country_code is not null and reference_year is not null and '
        ~ occurrence ~ ' > 1'),
] -%}

with

demographics as (

    select * from {{ ref('stg_bank__demographics') }}

),

countries as (

    select country_code as known_country_code from {{ ref('countries') }}

),

validated as (

    select
        demographics.*,
        {{ rejection_reasons(rules) | indent(8) }}
    from demographics
    left join countries
        on demographics.country_code = countries.known_country_code

)

-- The staged rows column for column, plus the rejection reasons and is_valid.
select * from validated  -- noqa: AM04
