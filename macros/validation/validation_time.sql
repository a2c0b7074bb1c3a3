{#
    The moment the validation judges against (the future_timestamp rule), as a timestamp
    without time zone: the build's current time, in UTC like transaction_at.
#}
{% macro validation_time() -%}
    {{ return(adapter.dispatch('validation_time', 'lending_research')()) }}
{%- endmacro %}

{% macro default__validation_time() -%}
    cast({{ dbt.current_timestamp() }} as timestamp)
{%- endmacro %}

{# Redshift's clock is UTC (dbt-redshift dispatches to postgres__ before default__). #}
{% macro redshift__validation_time() -%}
    {{ default__validation_time() }}
{%- endmacro %}

{# PostgreSQL's now() is in the session's time zone: the UTC wall clock, explicitly. #}
{% macro postgres__validation_time() -%}
    cast(now() at time zone 'utc' as timestamp)
{%- endmacro %}
