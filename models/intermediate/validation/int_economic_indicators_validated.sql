{#
    Every raw economic indicator row with the codes of the validation rules it breaks.
    The indicator catalogue (seeds/indicator_catalogue.csv) gives each indicator's unit
    and plausible range. The first delivered value for a country, indicator and month
    wins, in file order: a later one is the duplicate.
#}
{%- set occurrence = 'row_number() over ('
    ~ 'partition by country_code, indicator_code, month_start_date'
    ~ ' order by source_file, source_row_number)' -%}
{%- set rules = [
    ('missing_country_code', 'country_code is null'),
    ('unknown_country', 'country_code is not null and known_country_code is null'),
    ('missing_indicator_code', 'indicator_code is null'),
    ('unknown_indicator', 'indicator_code is not null and expected_unit is null'),
    ('missing_reference_month', 'month_start_date is null'),
    ('missing_value', 'indicator_value is null'),
    ('value_out_of_range', 'indicator_value < min_value or indicator_value > max_value'),
    ('unit_mismatch', "expected_unit != coalesce(indicator_unit, '')"),
    ('duplicate_indicator',
        'country_code is not null and indicator_code is not null'
        ~ ' and month_start_date is not null and ' ~ occurrence ~ ' > 1'),
] -%}

with

indicators as (

    select * from {{ ref('stg_bank__economic_indicators') }}

),

countries as (

    select country_code as known_country_code from {{ ref('countries') }}

),

catalogue as (

    select
        indicator_code as catalogued_indicator_code,
        unit as expected_unit,
        min_value,
        max_value
    from {{ ref('indicator_catalogue') }}

),

validated as (

    select
        indicators.*,
        {{ rejection_reasons(rules) | indent(8) }}
    from indicators
    left join countries
        on indicators.country_code = countries.known_country_code
    left join catalogue
        on indicators.indicator_code = catalogue.catalogued_indicator_code

)

-- The staged rows column for column, plus the rejection reasons and is_valid.
select * from validated  -- noqa: AM04
