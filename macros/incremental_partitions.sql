{#
    Incremental models here are rebuilt a whole monthly partition at a time. Each stores
    the fingerprint of the delivery its rows came from (see
    int_transaction_partitions_fingerprinted); a partition is rebuilt when its upstream
    fingerprint differs from the stored one: a new month, or a month re-delivered with
    corrections. Unchanged months are not touched.

    partitions_to_rebuild returns a list of [year, month] pairs (empty on a full build,
    where everything is built anyway). A model's rows carry their partition either as
    partition_year and partition_month columns or, for models of valid rows only (whose
    month is their partition's), as a date column named by `month_column`.
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

{% macro partitions_to_rebuild(upstream, month_column=none) %}
    {%- set year, month = _partition_parts(month_column) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select distinct upstream.partition_year, upstream.partition_month
        from (
            select distinct partition_year, partition_month, partition_fingerprint
            from {{ upstream }}
        ) as upstream
        left join (
            select distinct
                {{ year }} as partition_year,
                {{ month }} as partition_month,
                partition_fingerprint
            from {{ this }}
        ) as stored
            on upstream.partition_year = stored.partition_year
            and upstream.partition_month = stored.partition_month
            and upstream.partition_fingerprint = stored.partition_fingerprint
        where stored.partition_fingerprint is null
        order by upstream.partition_year, upstream.partition_month
    {%- endset -%}
    {%- set partitions = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do partitions.append([row[0] | int, row[1] | int]) -%}
    {%- endfor -%}
    {%- do log(this.identifier ~ ': rebuilding ' ~ partitions | length ~ ' partition(s) '
        ~ partitions | map('join', '-') | join(', '), info=false) -%}
    {{ return(partitions) }}
{% endmacro %}

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
    Pre-hook for these models: on an incremental run, remove the partitions about to be
    rebuilt. It runs in the same transaction as the insert, so a failed build leaves the
    old rows; a partition whose new delivery has no rows left for this model ends up
    empty rather than stale.
#}
{% macro delete_rebuilt_partitions(upstream, month_column=none) -%}
    {%- set partitions = partitions_to_rebuild(upstream, month_column) -%}
    {%- if partitions | length > 0 -%}
        delete from {{ this }} where {{ in_partitions(partitions, month_column) }}
    {%- endif -%}
{%- endmacro %}


{#
    The import of the models fed incrementally from int_transactions_validated: its valid
    rows, only those of the months to rebuild on an incremental run. Pair it with
    `pre_hook="{{ delete_rebuilt_partitions(ref('int_transactions_validated'),
    'month_start_date') }}"` in the model's config.
#}
{% macro valid_transactions_to_rebuild() -%}
    {%- set validated = ref('int_transactions_validated') -%}
    select * from {{ validated }}
    where
        is_valid
        {%- if is_incremental() %}
        and {{ in_partitions(partitions_to_rebuild(validated, 'month_start_date')) }}
        {%- endif %}
{%- endmacro %}
