{#
    For the dense monthly grids: a left-joined aggregate is null where nothing happened,
    and a count or volume of nothing is 0. Emits `coalesce(<relation>.<column>, 0) as
    <column>` for each column, comma-separated. Rates stay null: they are unknown, not 0.
#}
{% macro zero_when_inactive(relation, columns) -%}
    {%- for column in columns %}
        coalesce({{ relation }}.{{ column }}, 0) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
