{#
    The reconciliation tests' comparison: the keys missing on either side, and the keys
    where any compared column differs, each with both sides' values. A test selects from
    two CTEs (what it recomputed, and what the model holds) and returns this: a row is a
    difference, none is a pass.
#}
{% macro rows_that_differ(expected, actual, keys, columns) -%}
select
    {%- for key in keys %}
    coalesce({{ expected }}.{{ key }}, {{ actual }}.{{ key }}) as {{ key }},
    {%- endfor %}
    {%- for column in columns %}
    {{ expected }}.{{ column }} as expected_{{ column }},
    {{ actual }}.{{ column }} as actual_{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ expected }}
full outer join {{ actual }}
    on
    {%- for key in keys %}
        {{ 'and ' if not loop.first }}{{ expected }}.{{ key }} = {{ actual }}.{{ key }}
    {%- endfor %}
where
    {{ expected }}.{{ keys[0] }} is null
    or {{ actual }}.{{ keys[0] }} is null
    {%- for column in columns %}
    or {{ expected }}.{{ column }} != {{ actual }}.{{ column }}
    {%- endfor %}
{%- endmacro %}
