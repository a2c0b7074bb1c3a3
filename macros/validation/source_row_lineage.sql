{#
    Where each raw row came from: `source_file`, its Parquet file relative to the dataset
    root (e.g. transactions/year=2024/month=08/part-0.parquet, the same wherever the data
    is mounted), and `source_row_number`, its 0-based position there: the key every
    rejected row is reported under. DuckDB reads both from read_parquet (the source's
    external_location asks for them). Redshift Spectrum exposes only the file, as
    "$path", so rows are numbered within it in the order of `order_by`: rows equal in all
    of those are interchangeable, so any numbering among them is as good as another.
#}
{% macro source_row_lineage(order_by) -%}
    {{ return(adapter.dispatch('source_row_lineage')(order_by)) }}
{%- endmacro %}

{% macro duckdb__source_row_lineage(order_by) -%}
    regexp_extract(filename, '[^/]+/year=[0-9]{4}/.*$') as source_file,
    file_row_number as source_row_number
{%- endmacro %}

{# PostgreSQL: the loader (lending.postgres.loader) stores each row's file and position. #}
{% macro postgres__source_row_lineage(order_by) -%}
    source_file,
    source_row_number
{%- endmacro %}

{# Redshift Spectrum (dbt-redshift dispatches to postgres__ before default__). #}
{% macro redshift__source_row_lineage(order_by) -%}
    regexp_substr("$path", '[^/]+/year=[0-9]{4}/.*$') as source_file,
    row_number() over (partition by "$path" order by {{ order_by | join(', ') }}) - 1
        as source_row_number
{%- endmacro %}
