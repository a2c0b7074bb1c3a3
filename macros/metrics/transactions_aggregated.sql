{#
    The body of the transaction aggregates (int_transactions_aggregated_to_*): the valid
    transactions of the months to rebuild, summarised by transaction_outcome_metrics at
    one grain. The aggregates differ only in that grain, so a metric or the incremental
    filter changes in one place for all of them. The model keeps its incremental config
    (macros/incremental/partitions_to_rebuild.sql: only the months validated again since
    the last run are aggregated again).
#}
{% macro transactions_aggregated(grain) -%}
with

transactions as (

    {{ valid_transactions_to_rebuild(
        ref('int_transactions_validated'), ref('int_transaction_versions')
    ) | indent(4) }}

),

aggregated as (

    select
        {{ grain | join(',\n        ') }},
        {{ transaction_outcome_metrics() }},
        max(validated_at) as validated_at,
        {{ this_run_timestamp() }} as aggregated_at,
        '{{ code_checksum([this.identifier]) }}' as code_version
    from transactions
    group by {{ grain | join(', ') }}

)

select * from aggregated
{%- endmacro %}
