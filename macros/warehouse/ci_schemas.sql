{#
    The pull request's own schemas on the warehouse, for slim CI (.github/workflows/ci.yml):

        dbt run-operation create_ci_schemas --target prod    (with REDSHIFT_SCHEMA=ci_pr_<n>)
        dbt build --target prod --select state:modified+ --defer --state prod-state
        dbt run-operation drop_ci_schemas --target prod

    A build writes to several schemas per target schema (dbt_project.yml's +schema per
    layer, the marts' audit copies, stored test failures):
    build_schemas() lists them from the project itself, so a new one is covered.

    The guard that matters is the database's, not this code (which a pull request can
    edit): the CI identity has no CREATE on the database, so on Redshift its schemas are
    created by ci_admin.create_ci_schema, a procedure owned by the admin that refuses any
    name but ^ci_[a-z0-9_]{1,60}$ and makes CI the owner; and only an owner may drop a
    schema. The name check below only fails early, with a clearer message.
#}

{% macro build_schemas() -%}
    {%- set schemas = [target.schema ~ '_audit'] -%}
    {%- for node in graph.nodes.values() if node.package_name == project_name -%}
        {%- if node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- do schemas.append(node.schema) -%}
        {%- elif node.resource_type == 'test' and node.config.store_failures -%}
            {%- do schemas.append(node.schema) -%}
        {%- endif -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'published_table' -%}
            {%- do schemas.append(node.schema ~ '_audit') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(schemas | unique | sort) }}
{%- endmacro %}


{#- The schemas of this run, each refused unless it is a pull request's (ci_*). -#}
{% macro _ci_schemas(operation) -%}
    {%- do check_environment() -%}
    {%- set schemas = build_schemas() -%}
    {%- for schema in schemas if not modules.re.fullmatch('ci_[a-z0-9_]{1,60}', schema) -%}
        {%- do exceptions.raise_compiler_error(
            operation ~ ' works only on a pull request\'s schemas (ci_*), and the target schema '
            ~ target.schema ~ ' gives ' ~ schema ~ '; set REDSHIFT_SCHEMA=ci_pr_<number>'
        ) -%}
    {%- endfor -%}
    {{ return(schemas) }}
{%- endmacro %}


{% macro create_ci_schemas(dry_run=false) %}
    {% for schema in _ci_schemas('create_ci_schemas') %}
        {% if dry_run %}
            {{ log('would create schema ' ~ schema, info=true) }}
        {% else %}
            {% do create_ci_schema(schema) %}
            {{ log('created schema ' ~ schema, info=true) }}
        {% endif %}
    {% endfor %}
{% endmacro %}


{% macro create_ci_schema(schema) %}
    {{ return(adapter.dispatch('create_ci_schema', 'lending_research')(schema)) }}
{% endmacro %}

{#- Redshift: through the admin's procedure; CI itself may not create schemas. -#}
{% macro redshift__create_ci_schema(schema) %}
    {% do run_query("call ci_admin.create_ci_schema('" ~ schema ~ "')") %}
    {% do adapter.commit() %}
{% endmacro %}

{#- Elsewhere (DuckDB, a local PostgreSQL) the same schemas, created directly. -#}
{% macro default__create_ci_schema(schema) %}
    {% do adapter.create_schema(api.Relation.create(database=target.database, schema=schema)) %}
{% endmacro %}


{% macro drop_ci_schemas(dry_run=false) %}
    {% for schema in _ci_schemas('drop_ci_schemas') %}
        {% if dry_run %}
            {{ log('would drop schema ' ~ schema, info=true) }}
        {% else %}
            {% do adapter.drop_schema(api.Relation.create(
                database=target.database, schema=schema
            )) %}
            {{ log('dropped schema ' ~ schema, info=true) }}
        {% endif %}
    {% endfor %}
{% endmacro %}
