{#
    DuckDB's views and tables, each replaced by one statement.

    dbt's own view and table materializations build a relation under a temporary name,
    rename the old one aside, rename the new one in and drop the old: five to seven
    statements, each with its bookkeeping in dbt (events, the relation cache). On DuckDB,
    `create or replace` swaps the relation in one statement, atomically, inside the model's
    transaction, which is what the rename dance emulates on engines without it. At the
    default scale most of a build is dbt's bookkeeping per node, so this is most of what a
    view or a small table costs. Other engines keep dbt's materializations; a model under a
    contract keeps them too (they check the contract).
#}
{% materialization view, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='view') -%}
    {{ return(_duckdb_replace(target_relation, 'view')) }}
{% endmaterialization %}

{% materialization table, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {{ return(_duckdb_replace(target_relation, 'table')) }}
{% endmaterialization %}


{% macro _duckdb_replace(target_relation, kind) %}
    {%- if config.get('contract').enforced -%}
        {{ exceptions.raise_compiler_error(
            this ~ ': a contracted ' ~ kind ~ ' is a published_table in this project'
            ~ ' (macros/publication/published_table.sql), not a ' ~ kind) }}
    {%- endif -%}
    {%- set existing = load_cached_relation(this) -%}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- if existing is not none and existing.type != kind -%}
        {% do adapter.drop_relation(existing) %}
    {%- endif -%}
    {% call statement('main') -%}
        create or replace {{ kind }} {{ target_relation }} as (
        {{ sql }}
        )
    {%- endcall %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmacro %}
