{#
    Every raw economic indicator row with the codes of the validation rules it breaks.
    The indicator catalogue (seeds/indicator_catalogue.csv) gives each indicator's unit
    and plausible range.
#}
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
        ~ ' and month_start_date is not null and occurrence > 1'),
] -%}

with

indicators as (

    select * from {{ ref('stg_bank__economic_indicators') }}

),

countries as (

    select country_code from {{ ref('countries') }}

),

catalogue as (

    select
        indicator_code,
        unit as expected_unit,
        min_value,
        max_value
    from {{ ref('indicator_catalogue') }}

),

-- The first delivered value for a country, indicator and month wins, in file order.
numbered as (

    select
        indicators.*,
        row_number() over (
            partition by
                indicators.country_code,
                indicators.indicator_code,
                indicators.month_start_date
            order by indicators.source_file, indicators.source_row_number
        ) as occurrence
    from indicators

),

facts as (

    select
        numbered.*,
        countries.country_code as known_country_code,
        catalogue.expected_unit,
        catalogue.min_value,
        catalogue.max_value
    from numbered
    left join countries
        on numbered.country_code = countries.country_code
    left join catalogue
        on numbered.indicator_code = catalogue.indicator_code

),

validated as (

    select
        source_file,
        source_row_number,
        partition_year,
        country_code,
        indicator_code,
        month_start_date,
        indicator_value,
        indicator_unit,
        {{ rejection_reasons(rules) | indent(8) }}
    from facts

)

select * from validated
