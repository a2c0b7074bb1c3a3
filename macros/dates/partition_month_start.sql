{#
    First day of the month a Hive partition (year=YYYY[/month=MM]) stands for, as a
    date; month defaults to January for yearly partitions.
#}
{% macro partition_month_start(year_column, month_column=none) -%}
    cast(
        cast({{ year_column }} as varchar(4)) || '-'
        {%- if month_column is none %} || '01'
        {%- else %} || lpad(cast({{ month_column }} as varchar(2)), 2, '0')
        {%- endif %} || '-01'
        as date
    )
{%- endmacro %}
