{#
    on-run-start: every audit schema the marts are built in (<schema>_audit and
    <schema>_quarantine_audit), before any model runs. Each mart's materialization would
    create its own, but marts that run at the same time on a new warehouse (the three
    quarantine marts, say) would race to create the same schema, and the loser fails the
    build with a catalog write-write conflict on DuckDB (a duplicate key on PostgreSQL).

    Only missing schemas are created (as ensure_schema does: CI may not create schemas), in
    a transaction opened explicitly, since dbt opens none for hooks on PostgreSQL.
#}
{% macro create_audit_schemas() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'retry') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- for node in published_nodes() -%}
        {%- set audit = audit_relation(published_relation(node)) -%}
        {%- if audit.schema not in schemas
            and not adapter.check_schema_exists(audit.database, audit.schema) -%}
            {%- do schemas.append(audit.schema) -%}
            {%- call statement('create_audit_schema', auto_begin=true) -%}
                create schema if not exists {{ audit.without_identifier().include(database=false) }}
            {%- endcall -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if schemas -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
