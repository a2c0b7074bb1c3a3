{#
    dbt's source(), after checking the environment's values (check_environment): a source
    relation is where the external schema's name and the raw data folder reach SQL, so no
    model that reads a source compiles, or parses, with a hostile one.
#}
{% macro source() -%}
    {%- do check_environment() -%}
    {{ return(builtins.source(*varargs, **kwargs)) }}
{%- endmacro %}
