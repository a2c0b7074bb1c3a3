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

{#
    PostgreSQL: each row's values as text, md5-hashed, its first 60 bits as a number,
    summed (numeric, so the sum cannot overflow); a null is '' like on Redshift.
#}
{% macro postgres__content_checksum(columns) -%}
    {%- set row_text = [] -%}
    {%- for column in columns -%}
        {%- do row_text.append("coalesce(cast(" ~ column ~ " as varchar), '')") -%}
    {%- endfor -%}
    cast(sum(cast(('x' || substr(md5({{ row_text | join(" || '|' || ") }}), 1, 15))::bit(60)::bigint
        as numeric)) as varchar)
{%- endmacro %}

{#
    Redshift: chain FNV hashes across the columns; a null hashes as an empty string. Named
    for Redshift: dbt-redshift dispatches to postgres__ macros before default__ ones.
#}
{% macro redshift__content_checksum(columns) -%}
    {%- set ns = namespace(expression='fnv_hash(0)') -%}
    {%- for column in columns -%}
        {%- set ns.expression = 'fnv_hash(coalesce(cast(' ~ column ~ ' as varchar), \'\'), '
            ~ ns.expression ~ ')' -%}
    {%- endfor -%}
    cast(sum(cast({{ ns.expression }} as numeric(38, 0))) as varchar)
{%- endmacro %}


{#
    A checksum of a whole seed (every documented column, every row), as a scalar
    subquery: reference data is part of what the incremental models' rows depend on.
#}
{% macro seed_checksum(seed) -%}
    {%- set node = graph.get('nodes', {}).get('seed.' ~ project_name ~ '.' ~ seed.identifier)
        if execute -%}
    {%- set columns = (node.columns.keys() | list) if node else [] -%}
    {%- if not columns -%}
        ''
    {%- else -%}
        (select {{ content_checksum(columns) }} from {{ seed }})
    {%- endif -%}
{%- endmacro %}


{#
    A checksum of the code of the named models of this project and of every project macro
    they call, directly or through other macros (empty while parsing): a fingerprint that
    includes it changes when the logic does, wherever the logic is written.
#}
{% macro code_checksum(model_names) -%}
    {%- set code = [] -%}
    {%- if execute -%}
        {%- set macros = [] -%}
        {%- for name in model_names -%}
            {#- A unit test's graph has no nodes: its checksum is of nothing. -#}
            {%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.' ~ name) -%}
            {%- do code.append(node.raw_code if node else '') -%}
            {%- do macros.extend(node.depends_on.macros if node else []) -%}
        {%- endfor -%}
        {#- The list grows as it is read: each macro adds the ones it calls. -#}
        {%- set seen = [] -%}
        {%- for unique_id in macros
            if unique_id.startswith('macro.' ~ project_name ~ '.') and unique_id not in seen -%}
            {%- do seen.append(unique_id) -%}
            {%- set called = context[unique_id.split('.')[-1]].macro -%}
            {%- do code.append(called.macro_sql) -%}
            {%- do macros.extend(called.depends_on.macros) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(local_md5(code | join('\n'))) }}
{%- endmacro %}
