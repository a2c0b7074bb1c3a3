{#
    The marts' materialization: the model becomes a view in the audit schema, checked
    against its contract; the table analysts query is written later, by publish_marts,
    once every node of the build has passed. Views cost nothing to build, and the audit
    copy always shows what the latest build computed, so a failed build can be inspected
    (`select * from main_audit.fct_data_quality_monthly`).
#}
{% materialization published_table, default %}
    {%- set audit = audit_relation(this) -%}
    {%- set existing = adapter.get_relation(
        database=audit.database, schema=audit.schema, identifier=audit.identifier
    ) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% do ensure_schema(audit) %}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% if existing is not none %}
        {% do adapter.drop_relation(existing) %}
    {% endif %}
    {% call statement('main') -%}
        {{ get_create_view_as_sql(audit, sql) }}
    {%- endcall %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [audit]}) }}
{% endmaterialization %}
