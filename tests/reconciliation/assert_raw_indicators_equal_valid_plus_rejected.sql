-- Every raw economic indicator row is either a value in the country-month pivot or a
-- rejected row: raw rows = non-empty pivot cells + fct_rejected_economic_indicators.
-- The pivot's columns are the catalogue seed's indicators. Returns one row when the
-- counts disagree.

{%- set value_counts = [] -%}
{%- for code, column in indicator_columns(ref('indicator_catalogue')) -%}
    {%- do value_counts.append('count(' ~ column ~ ')') -%}
{%- endfor %}

with

raw_rows as (

    select count(*) as row_count from {{ ref('stg_bank__economic_indicators') }}

),

pivot_values as (

    select {{ value_counts | join(' + ') or '0' }} as value_count
    from {{ ref('int_indicators_pivoted_to_country_months') }}

),

rejected as (

    select count(*) as row_count from {{ ref('fct_rejected_economic_indicators') }}

)

select
    raw_rows.row_count as raw_row_count,
    pivot_values.value_count as valid_value_count,
    rejected.row_count as rejected_row_count
from raw_rows
cross join pivot_values
cross join rejected
where raw_rows.row_count != pivot_values.value_count + rejected.row_count
