{#
    Every raw transaction with the codes of the rules it breaks (seeds/rejection_reasons.csv
    says each one's remedy), by version: a partition validated again gets new rows, and the
    rows analysts see through the published fct_transactions stay until a build publishes
    the new ones (macros/publication/). Never dropped, so --full-refresh validates every
    partition anew instead. int_transactions_validated is the current version.
#}
{#- A new column (a build of newer code) is added to the store, empty in the old versions:
    the new code's fingerprint validates every partition again, and the published view keeps
    the old versions, and its old SQL, until a build publishes. -#}
{{ config(materialized='incremental', full_refresh=false, on_schema_change='append_new_columns',
    pre_hook="{{ delete_unpublished(
    partitions_to_rebuild(ref('int_transactions_deduplicated'), 'deduplicated_at')) }}") }}
{%- set deduplicated = ref('int_transactions_deduplicated') -%}
{%- set partitions = partitions_to_rebuild(deduplicated, 'deduplicated_at') -%}
{%- do log_partitions(partitions) -%}
{%- set rules = [
    ('missing_transaction_id', 'transaction_id is null'),
    ('missing_loan_id', 'loan_id is null'),
    ('missing_borrower_id', 'borrower_id is null'),
    ('missing_country_code', 'country_code is null'),
    ('missing_transaction_at', 'transaction_at is null'),
    ('missing_amount', 'amount_local is null'),
    ('duplicate_transaction_id', 'is_duplicate'),
    ('non_positive_amount', 'amount_local <= 0'),
    ('absurd_amount', 'amount_usd > ' ~ var('max_transaction_amount_usd')),
    ('unknown_country', 'country_code is not null and country_currency_code is null'),
    ('unknown_sector', 'not is_known_sector'),
    ('unknown_transaction_type', 'not is_known_transaction_type'),
    ('unknown_status', 'is_settled is null'),
    ('currency_mismatch', "country_currency_code != coalesce(currency_code, '')"),
    ('future_timestamp', 'is_in_future'),
    ('before_data_start', 'is_before_data_start'),
    ('outside_partition', 'is_in_time_range and not is_in_partition'),
    ('unknown_loan', 'loan_id is not null and not is_known_loan'),
    ('loan_never_disbursed',
        "is_known_loan and coalesce(transaction_type, '') != 'disbursement'"
        ~ ' and (first_disbursed_at is null or (is_in_time_range and is_in_partition'
        ~ ' and transaction_at < first_disbursed_at))'),
    ('loan_mismatch',
        'is_known_loan and ((country_currency_code is not null'
        ~ ' and country_code != loan_country_code)'
        ~ ' or (is_known_sector and sector_code != loan_sector_code))'),
    ('missing_exchange_rate', 'country_currency_code is not null and is_in_time_range'
        ~ ' and is_in_partition and local_per_usd is null'),
] -%}

with

facts as (

    select * from {{ ref('int_transactions_joined_to_rule_inputs') }}
    {%- if is_incremental() %}
    where {{ in_partitions(partitions) }}
    {%- endif %}

),

validated as (

    select
        source_file,
        source_row_number,
        partition_year,
        partition_month,
        transaction_id,
        loan_id,
        borrower_id,
        borrower_pseudonym,
        loan_pseudonym,
        transaction_pseudonym,
        country_code,
        sector_code,
        transaction_type,
        transaction_status,
        is_settled,
        is_successful,
        currency_code,
        amount_local,
        local_per_usd,
        amount_usd,
        transaction_at,
        month_start_date,
        deduplicated_at,
        {{ this_run_timestamp() }} as validated_at,
        {{ rejection_reasons(rules) | indent(8) }}
    from facts

)

select * from validated
