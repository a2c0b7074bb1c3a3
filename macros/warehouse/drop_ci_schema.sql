{#
    Drops the schema a slim-CI run built into (target.schema), so each pull request
    cleans up after itself:

        dbt run-operation drop_ci_schema --target prod     (with REDSHIFT_SCHEMA=ci_pr_<n>)

    Refuses any schema not starting with `ci_`: it can never drop production.
#}
{% macro drop_ci_schema() %}
    {% if not target.schema.startswith('ci_') %}
        {% do exceptions.raise_compiler_error(
            'drop_ci_schema drops only ci_* schemas, not ' ~ target.schema
        ) %}
    {% endif %}
    {% do adapter.drop_schema(api.Relation.create(
        database=target.database, schema=target.schema
    )) %}
    {{ log('dropped schema ' ~ target.schema, info=true) }}
{% endmacro %}
