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

outcomes as (

    select
        partition_year,
        count(case when is_valid then 1 end) as valid_row_count
    from {{ ref('int_demographics_validated') }}
    group by partition_year

),

rejected as (

    select
        partition_year,
        count(*) as row_count
    from {{ ref('fct_rejected_demographics') }}
    group by partition_year

)

select
    raw_rows.partition_year,
    raw_rows.row_count as raw_row_count,
    coalesce(outcomes.valid_row_count, 0) as valid_row_count,
    coalesce(rejected.row_count, 0) as rejected_row_count
from raw_rows
left join outcomes
    on raw_rows.partition_year = outcomes.partition_year
left join rejected
    on raw_rows.partition_year = rejected.partition_year
where
    raw_rows.row_count
    != coalesce(outcomes.valid_row_count, 0) + coalesce(rejected.row_count, 0)
