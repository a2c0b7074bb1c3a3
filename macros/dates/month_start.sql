{#
    First day of the calendar month of a date or timestamp, as a date.
    dbt.date_trunc returns a timestamp on DuckDB, so the cast keeps the type portable.
#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}
