{#
    on-run-start: every audit schema the marts are built in (<schema>_audit and
    <schema>_quarantine_audit), before any model runs. Each mart's materialization would
    create its own, but marts that run at the same time on a new warehouse (the three
    quarantine marts, say) would race to create the same schema, and the loser fails the
    build with a catalog write-write conflict on DuckDB (a duplicate key on PostgreSQL).
#}
{% macro create_audit_schemas() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'retry') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- set created = [] -%}
    {%- for node in published_nodes() -%}
        {%- set audit = audit_relation(published_relation(node)) -%}
        {%- if audit.schema not in schemas -%}
            {%- do schemas.append(audit.schema) -%}
            {%- if ensure_schema(audit) -%}
                {%- do created.append(audit.schema) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if created -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
