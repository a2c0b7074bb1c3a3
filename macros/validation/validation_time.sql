{#
    The moment the validation judges against (the future_timestamp rule), as a timestamp
    without time zone: the build's current time, in UTC like transaction_at.
#}
{% macro validation_time() -%}
    cast({{ dbt.current_timestamp() }} as timestamp)
{%- endmacro %}
