{#
    The columns are the model's primary key: no row has a null in any of them, and no
    combination of their values appears twice. One query for both (dbt's unique and
    not_null are one node, and one scan, each). Returns each offending key with how many
    rows hold it.

    On an incremental model the test checks the keys the run wrote against the whole
    table (macros/tests/get_where_subquery.sql).
#}
{% test primary_key(model, columns) %}

select
    {{ columns | join(',\n    ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for column in columns %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}
