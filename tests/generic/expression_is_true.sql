{#
    A row-level rule written as a SQL boolean expression over the model's columns, e.g.
    "volume_usd = disbursed_usd + repaid_usd + ...". Returns the rows
    for which it is false or null.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
