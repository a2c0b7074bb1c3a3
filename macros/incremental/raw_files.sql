{#
    One row per file of a raw source table, from what the engine knows of the file without
    reading its rows: `source_file` (as source_row_lineage names it), the partition the
    folder names (`partition_year`, `partition_month`) and `file_version`, a text that
    changes whenever the file is written again. A build with nothing new then costs a
    listing, not a scan of the history (int_transaction_partitions_totalled).

      DuckDB      the file's size and modification time (read_blob, whose content is not
                  read when it is not selected) and its row count (the Parquet footer)
      PostgreSQL  the checksum lending-pg load recorded for the file it copied
      Redshift    a checksum of the file's rows: Spectrum tells a file's path and size
                  ("$path", "$size") but not when it was written, and a file written
                  again at the same size must not go unnoticed, so on Redshift every
                  build reads the delivery once (Spectrum scans in parallel, billed by
                  the bytes read); the models after it still rebuild only what changed
#}
{% macro raw_files(source_relation) -%}
    {{ return(adapter.dispatch('raw_files', 'lending_research')(source_relation)) }}
{%- endmacro %}

{% macro duckdb__raw_files(source_relation) -%}
    {#- The bank source's folder, as its external_location reads it (checked by
        check_environment, and quoted as a string literal all the same). -#}
    {%- do check_environment() -%}
    {%- set files = _sql_string(env_var('BANK_RAW_DATA_PATH', 'data/raw') ~ '/'
        ~ source_relation.identifier ~ '/**/*.parquet') -%}
select
    regexp_extract(listed.filename, '[^/]+/year=[0-9]{4}/.*$') as source_file,
    regexp_extract(listed.filename, 'year=([0-9]{4})', 1) as partition_year,
    regexp_extract(listed.filename, 'month=([0-9]{2})', 1) as partition_month,
    cast(listed.size as varchar) || ' bytes, ' || cast(footers.num_rows as varchar)
    || ' rows, written ' || cast(listed.last_modified as varchar) as file_version
from read_blob({{ files }}) as listed
inner join parquet_file_metadata({{ files }}) as footers
    on listed.filename = footers.file_name
{%- endmacro %}

{% macro postgres__raw_files(source_relation) -%}
select
    source_file,
    substring(source_file from 'year=([0-9]{4})') as partition_year,
    substring(source_file from 'month=([0-9]{2})') as partition_month,
    file_checksum as file_version
from {{ source_relation.incorporate(path={'identifier': '_loaded_partitions'}) }}
where table_name = '{{ source_relation.identifier }}'
{%- endmacro %}

{# Redshift Spectrum (dbt-redshift dispatches to postgres__ before default__). #}
{% macro redshift__raw_files(source_relation) -%}
    {%- set columns = [] -%}
    {#- The graph exists only once the project is parsed. -#}
    {%- for node in (graph.sources.values() if execute else []) if node.source_name == 'bank'
        and node.identifier == source_relation.identifier -%}
        {%- for column in node.columns.values() -%}
            {%- do columns.append(adapter.quote(column.name)) -%}
        {%- endfor -%}
    {%- endfor -%}
select
    regexp_substr("$path", '[^/]+/year=[0-9]{4}/.*$') as source_file,
    max(year) as partition_year,
    max(month) as partition_month,
    cast("$size" as varchar(32)) || ' bytes, rows ' || {{ content_checksum(columns) }}
        as file_version
from {{ source_relation }}
group by "$path", "$size"
{%- endmacro %}


{#
    One row per partition of a listing of raw files (stg_bank__*_files), as a subquery:
    `delivery_signature`, a hash of the partition's files and their versions, which changes
    when any file is added, removed or written again.
#}
{% macro delivery_signatures(files) -%}
(
    select
        partition_year,
        partition_month,
        {{ dbt.hash(dbt.listagg(
            "source_file || '=' || file_version", "'|'", 'order by source_file'
        )) }} as delivery_signature
    from {{ files }}
    group by partition_year, partition_month
) as signatures
{%- endmacro %}
