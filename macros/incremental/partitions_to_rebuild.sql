{#
    The incremental models are rebuilt a monthly partition at a time, and must end up
    exactly as a full refresh of the same inputs would. Each row stores the version of
    the inputs it was built from; a run rebuilds the partitions whose upstream version
    differs from the stored one, or that exist on one side only (a new month, or a month
    withdrawn from the delivery, whose rows must go):

      int_transactions_deduplicated   version = partition_fingerprint, which covers
                                      the partition's rows, the month's exchange rates,
                                      the reference seeds and the validation code
                                      (int_transaction_partitions_fingerprinted), plus
                                      the partitions a change elsewhere affects
                                      (transaction_partitions_to_rebuild)
      int_transaction_validations     version = deduplicated_at: a partition
                                      deduplicated again is validated again
      the models fed from it          version = validated_at of its valid rows: a
                                      partition validated again is aggregated again

    A partition is a [year, month] pair. A model's rows carry theirs as partition_year and
    partition_month columns or, for models of valid rows only (whose month is their
    partition's), as a date column named by `month_column`. Full builds rebuild everything
    and need no list: the macros return [] there.
#}
{% macro _partition_parts(month_column) -%}
    {%- if month_column is none -%}
        {{ return(['partition_year', 'partition_month']) }}
    {%- endif -%}
    {{ return([
        'extract(year from ' ~ month_column ~ ')',
        'extract(month from ' ~ month_column ~ ')',
    ]) }}
{%- endmacro %}


{#
    The partitions whose version in `upstream` (where `upstream_filter` holds) differs from
    the version this model stored. With `code_version`, rows this model stored with other
    code (its `code_version` column) count as not stored: a changed model rebuilds all.
#}
{% macro partitions_to_rebuild(
    upstream, version_column, upstream_month_column=none, upstream_filter='1 = 1',
    month_column=none, code_version=none
) %}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set upstream_year, upstream_month = _partition_parts(upstream_month_column) -%}
    {%- set year, month = _partition_parts(month_column) -%}
    {%- do _require_stored_columns(
        [month_column or 'partition_year', version_column]
        + (['code_version'] if code_version is not none else [])
    ) -%}
    {%- set query -%}
        select
            coalesce(upstream.partition_year, stored.partition_year),
            coalesce(upstream.partition_month, stored.partition_month)
        from (
            select
                {{ upstream_year }} as partition_year,
                {{ upstream_month }} as partition_month,
                max({{ version_column }}) as version
            from {{ upstream }}
            where {{ upstream_filter }}
            group by {{ upstream_year }}, {{ upstream_month }}
        ) as upstream
        full outer join (
            select
                {{ year }} as partition_year,
                {{ month }} as partition_month,
                {%- if code_version is none %}
                max({{ version_column }}) as version
                {%- else %}
                max(case when code_version = '{{ code_version }}' then {{ version_column }} end)
                    as version
                {%- endif %}
            from {{ this }}
            group by {{ year }}, {{ month }}
        ) as stored
            on upstream.partition_year = stored.partition_year
            and upstream.partition_month = stored.partition_month
        {#- --full-refresh of a model that is never dropped (full_refresh=false): all. #}
        where
            {{ '1 = 1 or' if flags.FULL_REFRESH }}
            upstream.version is null
            or stored.version is null
            or upstream.version != stored.version
        order by 1, 2
    {%- endset -%}
    {%- set partitions = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do partitions.append([row[0] | int, row[1] | int]) -%}
    {%- endfor -%}
    {{ return(partitions) }}
{% endmacro %}


{#
    The stored table must have the columns its versions are read from: one built by older
    code may not, and dbt's on_schema_change check only runs after this macro's query.
#}
{% macro _require_stored_columns(names) -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- set missing = names | reject('in', stored) | list -%}
    {%- if missing -%}
        {#- The whole project: only a whole build publishes (publish_marts). -#}
        {%- set rebuild = "`dbt build --full-refresh`" -%}
        {%- if config.get('full_refresh') is false -%}
            {%- set rebuild = "`drop table " ~ this ~ "`, then " ~ rebuild -%}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(this ~ ' was built by older code: it has no '
            ~ missing | join(', ') ~ ' column. Rebuild it: ' ~ rebuild ~ '.') }}
    {%- endif -%}
{%- endmacro %}


{#
    A predicate true for rows in the given [year, month] partitions (false when there are
    none). Written as plain comparisons on the partition columns so DuckDB prunes the
    Hive folders it does not need.
#}
{% macro in_partitions(partitions, month_column=none) -%}
    {%- set year, month = _partition_parts(month_column) -%}
    {%- if partitions | length == 0 -%}
        1 = 0
    {%- else -%}
        ({% for year_value, month_value in partitions -%}
            ({{ year }} = {{ year_value }} and {{ month }} = {{ month_value }})
            {%- if not loop.last %} or {% endif -%}
        {%- endfor %})
    {%- endif -%}
{%- endmacro %}


{#
    Pre-hook: on an incremental run, delete the partitions about to be rebuilt. It runs
    in the same transaction as the insert, so a failed run leaves the old rows; a
    partition with no rows left for this model ends up empty rather than stale.
#}
{% macro delete_partitions(partitions, month_column=none) -%}
    {%- if partitions | length > 0 -%}
        delete from {{ this }} where {{ in_partitions(partitions, month_column) }}
    {%- endif -%}
{%- endmacro %}


{#
    Pre-hook of int_transaction_validations, a store of versions: delete the rows of the
    partitions about to be validated again, except those of the version fct_transactions
    is published with (main_audit.published_versions), which analysts keep seeing until
    the next publication replaces them.
#}
{% macro delete_unpublished(partitions) -%}
    {%- if partitions | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set kept = [] -%}
    {%- set query = 'select partition_year, partition_month, validated_at from '
        ~ published_versions() -%}
    {%- for year, month, version in run_query(query).rows
        if [year | int, month | int] in partitions -%}
        {%- do kept.append('(partition_year = ' ~ year ~ ' and partition_month = ' ~ month
            ~ " and validated_at = cast('" ~ version ~ "' as timestamp))") -%}
    {%- endfor -%}
    delete from {{ this }}
    where {{ in_partitions(partitions) }}
    {%- if kept %} and not ({{ kept | join(' or ') }}){% endif %}
{%- endmacro %}


{# Says in the log what a model rebuilt, in words the incremental tests read. #}
{% macro log_partitions(partitions) -%}
    {%- if execute and is_incremental() -%}
        {%- do log(this.identifier ~ ': rebuilding ' ~ partitions | length ~ ' partition(s) '
            ~ partitions | map('join', '-') | join(', '), info=false) -%}
    {%- endif -%}
{%- endmacro %}


{#
    For the models fed from int_transactions_validated: the months whose valid rows were
    validated again since this model last aggregated them, or all of them when the model's
    code changed (it stores a `code_version` column). Read from the current versions of
    the partitions (`versions`, int_transaction_versions: one row each, with its count of
    valid rows), so that finding them scans no transactions.
#}
{% macro revalidated_months(versions) -%}
    {{ return(partitions_to_rebuild(
        versions, 'validated_at', upstream_filter='valid_row_count > 0',
        month_column='month_start_date', code_version=code_checksum([this.identifier])
    )) }}
{%- endmacro %}


{#
    The import of the models fed from int_transactions_validated (`validated`): its valid
    rows, only those of the months to rebuild on an incremental run (`versions`, see
    revalidated_months). Pair it with `pre_hook="{{ delete_partitions(revalidated_months(
    ref('int_transaction_versions')), 'month_start_date') }}"`.
#}
{% macro valid_transactions_to_rebuild(validated, versions) -%}
    {%- set months = revalidated_months(versions) -%}
    {%- do log_partitions(months) -%}
    select * from {{ validated }}
    where
        is_valid
        {%- if is_incremental() %}
        and {{ in_partitions(months, 'month_start_date') }}
        {%- endif %}
{%- endmacro %}
