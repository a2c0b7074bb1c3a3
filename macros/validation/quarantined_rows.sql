{#
    A quarantine mart's whole select: the rows `validated` rejected, with the columns the
    mart's YAML lists, in that order. The contract is the one list of what a quarantine
    keeps, so the SQL cannot drift from it. `computed` maps a column the validated model
    does not carry as such to the SQL expression that makes it. While dbt parses, the
    columns are not known yet and the select is of every column.
#}
{% macro quarantined_rows(validated, computed={}) -%}
    {%- set columns = (model.columns.keys() | list) if execute else [] -%}
    {%- if execute and not columns -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": quarantined_rows selects the columns the model's YAML lists,"
            ~ " and it lists none") }}
    {%- endif -%}
select
    {%- for column in columns or ['*'] %}
    {{ computed[column] ~ ' as ' ~ column if column in computed else column }}
    {{- ',' if not loop.last }}
    {%- endfor %}
from {{ validated }}
where not is_valid
{%- endmacro %}
