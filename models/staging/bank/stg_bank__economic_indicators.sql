with

source as (

    select * from {{ source('bank', 'economic_indicators') }}

),

renamed as (

    select
        country_code,
        indicator_code,
        cast(reference_month as date) as month_start_date,
        cast(indicator_value as double precision) as indicator_value,
        unit as indicator_unit
    from source

)

select * from renamed
