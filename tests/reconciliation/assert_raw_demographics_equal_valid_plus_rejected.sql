-- Every raw demographics row is either a valid country-year or a rejected row, per
-- partition year. Returns the years that disagree.

with

raw_rows as (

    select
        partition_year,
        count(*) as row_count
    from {{ ref('stg_bank__demographics') }}
    group by partition_year

),

accounted_rows as (

    select partition_year
    from {{ ref('int_demographics_validated') }}
    where is_valid
    union all
    select partition_year
    from {{ ref('fct_rejected_demographics') }}

),

accounted as (

    select
        partition_year,
        count(*) as row_count
    from accounted_rows
    group by partition_year

)

{{ rows_that_differ('raw_rows', 'accounted', ['partition_year'], ['row_count']) }}
