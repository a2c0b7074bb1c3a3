with

sectors as (

    select * from {{ ref('sectors') }}

),

final as (

    select
        sector_code,
        sector_name,
        sector_group,
        sector_description
    from sectors

)

select * from final
