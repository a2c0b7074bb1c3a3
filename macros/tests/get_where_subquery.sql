{#
    Lets a test's `where:` refer to the model it tests, written `__this__`, e.g.
    `validated_at = (select max(validated_at) from __this__)`: tests on the incremental
    models then check only what the latest run wrote, not all history. (dbt does not
    allow ref() or project macros in `where:`; it does let a project override this.)
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do return(
            '(select * from ' ~ relation ~ ' where ' ~ where | replace('__this__', relation)
            ~ ') dbt_subquery'
        ) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
