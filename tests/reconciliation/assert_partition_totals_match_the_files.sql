-- What int_transaction_partitions_totalled stored of each partition (its rows' count,
-- amount and content checksum) is what the files hold now. A build reads only the
-- partitions whose files changed, by their size, row count and time of writing (or the
-- loader's checksum): this is the check that nothing changed behind that, a file rewritten
-- in place with the same size and time, say. In a build it recounts the partitions this
-- run read (which cannot differ); `make check-history` recounts every partition. Returns
-- the partitions that differ.
{%- set recounted_partitions = [] -%}
{%- if execute and not var('check_history', false) and not var('offline_compile', false) -%}
    {#- Named in the query, so that only their folders are read. -#}
    {%- set query -%}
        select partition_year, partition_month
        from {{ ref('int_transaction_partitions_totalled') }} as totals
        where {{ in_this_run('totals.totalled_at', ref('int_transaction_partitions_totalled')) }}
    {%- endset -%}
    {%- for year, month in run_query(query).rows -%}
        {%- do recounted_partitions.append([year | int, month | int]) -%}
    {%- endfor -%}
{%- endif %}

with

totalled as (

    select
        totals.partition_year,
        totals.partition_month,
        totals.raw_row_count,
        totals.raw_amount_local,
        totals.content_checksum
    from {{ ref('int_transaction_partitions_totalled') }} as totals
    where {{ in_this_run('totals.totalled_at', ref('int_transaction_partitions_totalled')) }}

),

recounted as (

    select
        delivered.partition_year,
        delivered.partition_month,
        count(*) as raw_row_count,
        coalesce(sum(delivered.amount_local), 0) as raw_amount_local,
        {{ content_checksum([
            'delivered.transaction_id', 'delivered.loan_id', 'delivered.borrower_id',
            'delivered.country_code', 'delivered.sector_code',
            'delivered.transaction_type', 'delivered.transaction_status',
            'delivered.amount_local', 'delivered.currency_code',
            'delivered.transaction_at',
        ]) }} as content_checksum
    from {{ ref('stg_bank__transactions') }} as delivered
    inner join totalled using (partition_year, partition_month)
    {%- if not var('check_history', false) %}
    where {{ in_partitions(recounted_partitions) }}
    {%- endif %}
    group by delivered.partition_year, delivered.partition_month

)

{{ rows_that_differ(
    'totalled', 'recounted', ['partition_year', 'partition_month'],
    ['raw_row_count', 'raw_amount_local', 'content_checksum'],
) }}
