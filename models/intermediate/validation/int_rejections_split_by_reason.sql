{#
    One row per rejected raw row and reason it was rejected for: a row breaking three
    rules appears three times. Reasons are matched against seeds/rejection_reasons.csv,
    so a code missing there would be dropped here; a singular test guards that.
#}
with

rejected as (

    select
        source_name,
        month_start_date,
        source_file,
        source_row_number,
        rejection_reasons
    from {{ ref('int_rejected_rows_unioned') }}

),

reasons as (

    select
        source_name,
        rejection_reason
    from {{ ref('rejection_reasons') }}

),

split as (

    select
        rejected.source_name,
        rejected.month_start_date,
        rejected.source_file,
        rejected.source_row_number,
        reasons.rejection_reason
    from rejected
    inner join reasons
        on rejected.source_name = reasons.source_name
        and {{ dbt.position(
            "',' || reasons.rejection_reason || ','",
            "',' || rejected.rejection_reasons || ','"
        ) }} > 0

)

select * from split
