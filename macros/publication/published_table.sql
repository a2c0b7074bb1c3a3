{#
    The marts' materialization: the model becomes a view in the audit schema, checked
    against its contract; the table analysts query is written later, by publish_marts,
    once every node of the build has passed. Views cost nothing to build, and the audit
    copy always shows what the latest build computed, so a failed build can be inspected
    (`select * from main_audit.fct_data_quality_monthly`).
#}
{% materialization published_table, default %}
    {%- set audit = audit_relation(this) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% do ensure_schema(audit) %}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {#- By its own name and type, not the relation cache's view of it: a seed rebuilt with
        cascade on PostgreSQL takes its dependent views away under the cache. -#}
    {% do adapter.drop_relation(audit) %}
    {#- A mart published by version shows its current version here (see publish_marts). -#}
    {%- set versioned = config.get('meta', {}).get('publish_versions') -%}
    {%- set audited_sql = versioned_sql(sql, ref(versioned.versions)) if versioned else sql -%}
    {% call statement('main') -%}
        {{ get_create_view_as_sql(audit, audited_sql) }}
    {%- endcall %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [audit]}) }}
{% endmaterialization %}
