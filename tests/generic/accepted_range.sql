{#
    Fails for every row whose value lies outside [min_value, max_value]. Either bound may
    be omitted; `inclusive: false` makes both bounds strict. Nulls pass: pair with
    not_null where a value is required.
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "accepted_range on " ~ model ~ "." ~ column_name ~ " needs min_value or max_value"
    ) }}
{%- endif -%}
{%- set low = '>=' if inclusive else '>' -%}
{%- set high = '<=' if inclusive else '<' -%}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and not (
        {% if min_value is not none %}{{ column_name }} {{ low }} {{ min_value }}{% endif %}
        {% if min_value is not none and max_value is not none %}and{% endif %}
        {% if max_value is not none %}{{ column_name }} {{ high }} {{ max_value }}{% endif %}
    )

{% endtest %}
