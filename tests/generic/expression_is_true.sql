{#
    A row-level rule written as a SQL boolean expression over the model's columns, e.g.
    "settled_count = completed_count + failed_count + reversed_count". Returns the rows
    for which it is false or null.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
