{#
    The reconciliation of a yearly source: per partition year, the raw rows (`staged`)
    against the valid rows of `validated` plus the rows of its quarantine (`rejected`).
    Returns the years that disagree, as rows_that_differ does.
#}
{% macro rows_per_year_that_differ(staged, validated, rejected) -%}
with

raw_rows as (

    select
        partition_year,
        count(*) as row_count
    from {{ staged }}
    group by partition_year

),

accounted_rows as (

    select partition_year
    from {{ validated }}
    where is_valid
    union all
    select partition_year
    from {{ rejected }}

),

accounted as (

    select
        partition_year,
        count(*) as row_count
    from accounted_rows
    group by partition_year

)

{{ rows_that_differ('raw_rows', 'accounted', ['partition_year'], ['row_count']) }}
{%- endmacro %}
