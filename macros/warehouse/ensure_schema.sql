{#
    The schema of `relation`, created only if missing: the CI identity may not create
    schemas (it has them created by ci_admin.create_ci_schema), and CREATE SCHEMA IF NOT
    EXISTS still asks for the privilege.
#}
{% macro ensure_schema(relation) -%}
    {%- if not adapter.check_schema_exists(relation.database, relation.schema) -%}
        {%- do adapter.create_schema(relation) -%}
    {%- endif -%}
{%- endmacro %}
