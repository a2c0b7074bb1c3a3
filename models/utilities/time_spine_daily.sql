{#
    One row per calendar day from 2018-01-01 to 2030-12-31: the time spine MetricFlow
    joins metrics to. Fixed literal bounds cover the data (2019 onwards) with room to grow;
    built from cross-joined digits rather than dbt.date_spine, which queries the warehouse
    at compile time and so cannot compile offline for Redshift.
#}
with

day_offsets as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit as day_offset
    from {{ _digits() }} as ones
    cross join {{ _digits() }} as tens
    cross join {{ _digits() }} as hundreds
    cross join {{ _digits() }} as thousands

),

days as (

    select
        cast(
            {{ dbt.dateadd('day', 'day_offset', "cast('2018-01-01' as date)") }} as date
        ) as date_day
    from day_offsets

),

final as (

    select date_day
    from days
    where date_day <= cast('2030-12-31' as date)

)

select * from final
