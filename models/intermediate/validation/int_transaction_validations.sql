{#
    Every raw transaction with the codes of the validation rules it breaks (explained,
    with remedies, in seeds/rejection_reasons.csv). Valid rows go on to fct_transactions,
    the others to fct_rejected_transactions. Incremental: a run validates again the
    partitions int_transactions_deduplicated rebuilt.
#}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_partitions(partitions_to_rebuild(
        ref('int_transactions_deduplicated'), 'deduplicated_at')) }}",
) }}
{%- set deduplicated = ref('int_transactions_deduplicated') -%}
{%- set partitions = partitions_to_rebuild(deduplicated, 'deduplicated_at') -%}
{%- do log_partitions(partitions) -%}
{%- set now = validation_time() -%}
{%- set first_transaction_at = "cast('" ~ var('first_transaction_date') ~ "' as timestamp)" -%}
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
    ('future_timestamp', 'transaction_at > ' ~ now),
    ('before_data_start', 'transaction_at < ' ~ first_transaction_at),
    ('outside_partition', 'is_in_time_range and not is_in_partition'),
    ('loan_never_disbursed',
        "loan_id is not null and coalesce(transaction_type, '') != 'disbursement'"
        ~ " and (first_disbursed_at is null"
        ~ " or (is_in_time_range and is_in_partition and transaction_at < first_disbursed_at))"),
    ('missing_exchange_rate',
        'country_currency_code is not null and is_in_time_range and is_in_partition'
        ~ ' and local_per_usd is null'),
] -%}

with

transactions as (

    select * from {{ ref('int_transactions_converted_to_usd') }}
    {%- if is_incremental() %}
    where {{ in_partitions(partitions) }}
    {%- endif %}

),

deduplicated as (

    select * from {{ deduplicated }}
    {%- if is_incremental() %}
    where {{ in_partitions(partitions) }}
    {%- endif %}

),

first_disbursements as (

    select * from {{ ref('int_loans_first_disbursed') }}

),

facts as (

    select
        transactions.*,
        deduplicated.is_duplicate,
        deduplicated.partition_fingerprint,
        deduplicated.deduplicated_at,
        first_disbursements.first_disbursed_at,
        transactions.transaction_at >= {{ first_transaction_at }}
        and transactions.transaction_at <= {{ now }} as is_in_time_range
    from transactions
    inner join deduplicated
        on transactions.source_file = deduplicated.source_file
        and transactions.source_row_number = deduplicated.source_row_number
    left join first_disbursements
        on transactions.loan_id = first_disbursements.loan_id

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
        transaction_date,
        month_start_date,
        partition_fingerprint,
        deduplicated_at,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as validated_at,
        {{ rejection_reasons(rules) | indent(8) }}
    from facts

)

select * from validated
