{#
    DuckDB has no privileges. The marts' `grants` config is for Redshift; dbt-duckdb's own
    version warns on every table that has one, so on DuckDB applying grants does nothing.
#}
{% macro duckdb__apply_grants(relation, grant_config, should_revoke=True) %}
{% endmacro %}
