{#
    The indicators of the catalogue seed, as [indicator_code, pivot_column] pairs in code
    order: the pivot and its reconciliation read the list from the seed, so an indicator is
    declared once. Asked of the warehouse when the SQL is rendered (as dbt_utils.pivot
    does); an offline compile has no warehouse, and takes the list from the
    `indicator_columns` var (the offline Redshift check passes the seed's rows).
#}
{% macro indicator_columns(catalogue) %}
    {%- if var('offline_compile', false) -%}
        {{ return(var('indicator_columns', [])) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select indicator_code, pivot_column from {{ catalogue }} order by indicator_code
    {%- endset -%}
    {%- set pairs = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do pairs.append([row[0], row[1]]) -%}
    {%- endfor -%}
    {{ return(pairs) }}
{% endmacro %}
