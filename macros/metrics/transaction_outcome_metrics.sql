{#
    Aggregates shared by every mart that summarises transactions, so counts, volumes and
    the success rate mean the same thing at every grain. Expects the columns of
    int_transactions_converted_to_usd; use inside a select with a group by.
    count(case ...) rather than sum(case ...): a bigint on every engine.
#}
{% macro transaction_outcome_metrics() -%}
    count(*) as transaction_count,
    {#- A write-off is completed but no payment attempt: the count is of successes. #}
    count(case when is_successful then 1 end) as completed_count,
    count(case when transaction_status = 'failed' then 1 end) as failed_count,
    count(case when transaction_status = 'reversed' then 1 end) as reversed_count,
    count(case when transaction_status = 'pending' then 1 end) as pending_count,
    count(case when is_settled then 1 end) as settled_count,
    {#- Book entries, not payment attempts: in none of the counts by status above. #}
    count(case when transaction_type = 'write_off' then 1 end) as written_off_count,
    {{ success_rate(
        'count(case when is_successful then 1 end)',
        'count(case when is_settled then 1 end)'
    ) }} as success_rate,
    {{ completed_usd("transaction_type = 'disbursement'") }} as disbursed_usd,
    {{ completed_usd("transaction_type = 'repayment'") }} as repaid_usd,
    {{ completed_usd("transaction_type = 'interest_payment'") }} as interest_received_usd,
    {{ completed_usd("transaction_type = 'fee'") }} as fees_received_usd,
    {{ completed_usd('true') }} as volume_usd,
    coalesce(
        sum(case when transaction_type = 'write_off' and transaction_status = 'completed'
            then amount_usd end),
        0
    ) as written_off_usd,
    count(case when is_successful and transaction_type = 'disbursement' then 1 end)
        as completed_disbursement_count,
    count(distinct case when is_successful then borrower_id end) as active_borrower_count
{%- endmacro %}

{# The counts by status transaction_outcome_metrics makes, for the grids that zero-fill them. #}
{% macro transaction_status_counts() -%}
    {{ return([
        'transaction_count', 'completed_count', 'failed_count', 'reversed_count',
        'pending_count', 'settled_count', 'written_off_count',
    ]) }}
{%- endmacro %}

{% macro completed_usd(condition) -%}
    coalesce(sum(case when is_successful and {{ condition }} then amount_usd end), 0)
{%- endmacro %}
