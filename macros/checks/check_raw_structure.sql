{#
    on-run-start: stop before any model when a raw file is structurally broken (corrupt
    or truncated, a column missing, renamed, retyped or unexpected, an empty file or
    partition folder, a stray file). A build would otherwise fail half-way or, worse,
    read wrong data: DuckDB silently casts a column whose type changed. Row-level defects
    are not this check's business: those rows are quarantined by the validation models.

    The expected columns and types are the bank source's, as declared in
    models/staging/bank/_bank__sources.yml; the check itself is the project's Python
    (lending.checks.raw_structure), which the dbt-duckdb plugin in profiles.yml makes a SQL
    function. Other engines load the raw tables with their declared types, so there is
    nothing to check.
#}
{% macro check_raw_structure() %}
    {{ return(adapter.dispatch('check_raw_structure', 'lending_research')()) }}
{% endmacro %}

{% macro default__check_raw_structure() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__check_raw_structure() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tables = [] -%}
    {%- for table in graph.sources.values() if table.source_name == 'bank' -%}
        {%- set partition_columns = table.config.meta.get('partition_types', {}) | list -%}
        {%- set columns = {} -%}
        {%- for column in table.columns.values() if column.name not in partition_columns -%}
            {%- do columns.update({column.name: column.data_type}) -%}
        {%- endfor -%}
        {%- do tables.append({
            'name': table.identifier, 'columns': columns, 'partition_columns': partition_columns
        }) -%}
    {%- endfor -%}
    {#- The folder the bank source's external_location reads (checked by check_environment,
        and quoted as a string literal all the same). -#}
    {%- do check_environment() -%}
    {%- set root = env_var('BANK_RAW_DATA_PATH', 'data/raw') -%}
    {%- set query -%}
        select unnest(lending_raw_structure_problems(
            {{ _sql_string(root) }}, {{ _sql_string(tojson(tables)) }}
        ))
    {%- endset -%}
    {%- set problems = run_query(query).columns[0].values() -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            problems | length ~ ' structural problem(s) in the raw data (' ~ root
            ~ '); no model was built, so the marts are unchanged:\n  - '
            ~ problems | join('\n  - ')
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
