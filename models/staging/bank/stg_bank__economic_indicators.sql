with

source as (

    select * from {{ source('bank', 'economic_indicators') }}

),

renamed as (

    select
        {{ source_row_lineage(['country_code', 'indicator_code', 'reference_month']) }},
        cast(year as integer) as partition_year,
        country_code,
        indicator_code,
        cast(reference_month as date) as month_start_date,
        cast(indicator_value as double precision) as indicator_value,
        unit as indicator_unit
    from source

)

select * from renamed
