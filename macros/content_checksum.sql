{#
    An order-independent checksum of the given columns over a group of rows, as text:
    equal when the rows are equal, different (with overwhelming probability) when any
    value in any row changes. Used to fingerprint delivered partitions.
#}
{% macro content_checksum(columns) -%}
    {{ return(adapter.dispatch('content_checksum')(columns)) }}
{%- endmacro %}

{% macro duckdb__content_checksum(columns) -%}
    cast(sum(hash({{ columns | join(', ') }})) as varchar)
{%- endmacro %}

{% macro default__content_checksum(columns) -%}
    {#- Redshift: chain FNV hashes across the columns; a null hashes as an empty string. -#}
    {%- set ns = namespace(expression='fnv_hash(0)') -%}
    {%- for column in columns -%}
        {%- set ns.expression = 'fnv_hash(coalesce(cast(' ~ column ~ ' as varchar), \'\'), '
            ~ ns.expression ~ ')' -%}
    {%- endfor -%}
    cast(sum(cast({{ ns.expression }} as numeric(38, 0))) as varchar)
{%- endmacro %}
