{#
    A select returning one row per calendar month from start_month to end_month
    inclusive, in a column named month_start_date (up to 1,000 months). Both arguments
    are SQL expressions for first-of-month dates; scalar subqueries work.

    dbt.date_spine needs its bounds before the query runs (it queries the warehouse at
    compile time to count intervals); ours come from the data, so this spine is plain
    derived tables over cross-joined digits, which both DuckDB and Redshift run as-is.
#}
{% macro month_spine(start_month, end_month) -%}
select month_start_date
from (
    select
        cast({{ dbt.dateadd('month', 'month_offset', start_month) }} as date)
            as month_start_date
    from (
        select ones.digit + 10 * tens.digit + 100 * hundreds.digit as month_offset
        from {{ _digits() }} as ones
        cross join {{ _digits() }} as tens
        cross join {{ _digits() }} as hundreds
    ) as offsets
) as months
where month_start_date <= {{ end_month }}
{%- endmacro %}

{% macro _digits() -%}
    ({% for digit in range(10) %}select {{ digit }} as digit{% if not loop.last %} union all {% endif %}{% endfor %})
{%- endmacro %}
