with

validated as (

    select * from {{ ref('int_economic_indicators_validated') }}
    where not is_valid

),

rejected as (

    select
        source_file,
        source_row_number,
        partition_year,
        rejection_reasons,
        country_code,
        indicator_code,
        month_start_date,
        indicator_value,
        indicator_unit
    from validated

)

select * from rejected
