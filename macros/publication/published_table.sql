{#
    The marts' materialization: the model becomes a table in the audit schema, under its
    contract; the table analysts query is written later, by publish_marts, once every node
    of the build has passed. The audit copy always shows what the latest build computed,
    so a failed build can be inspected (`select * from main_audit.fct_data_quality_monthly`),
    and its tests read a table, not the view chain beneath it. A mart published by version
    (fct_transactions, meta publish_versions) is a view of its store instead: its rows are
    never copied (see publish_marts).
#}
{% materialization published_table, default %}
    {%- set versioned = config.get('meta', {}).get('publish_versions') -%}
    {%- set audit = audit_relation(this).incorporate(type='view' if versioned else 'table') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% do ensure_schema(audit) %}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {#- By its own name and type (`if exists`), not only as the relation cache has it: a seed
        rebuilt with cascade on PostgreSQL takes its dependent views away under the cache.
        An audit copy of the other type (a build of older code) goes first. -#}
    {%- set existing = load_cached_relation(audit) -%}
    {%- if existing is not none and existing.type != audit.type -%}
        {% do adapter.drop_relation(existing) %}
    {%- endif -%}
    {% do adapter.drop_relation(audit) %}
    {% call statement('main') -%}
        {%- if versioned -%}
            {#- The current version shows here (see publish_marts). -#}
            {{ get_create_view_as_sql(audit, versioned_sql(sql, ref(versioned.versions))) }}
        {%- else -%}
            {{ get_create_table_as_sql(False, audit, sql) }}
        {%- endif -%}
    {%- endcall %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [audit]}) }}
{% endmaterialization %}
