{#
    One row per delivered monthly partition of raw transactions, with a fingerprint of
    everything its validated rows depend on. int_transactions_deduplicated rebuilds exactly
    the partitions whose fingerprint differs from the one it stored, so an incremental
    run gives what a full refresh of the same inputs gives. The fingerprint covers:
      - the partition's rows (row count and a checksum of every column);
      - the month's exchange rates, all countries (a revised or withdrawn rate changes the
        USD amounts and the absurd_amount and missing_exchange_rate verdicts);
      - the reference seeds that shape a row (countries, sectors, transaction types and
        statuses: a change there rebuilds every partition);
      - how many of its rows are still in the future (the future_timestamp rule moves
        with the clock);
      - the validation code and its vars (a changed rule rebuilds every partition).
    The rules that look across months are the incremental model's own concern
    (macros/incremental/transaction_partitions_to_rebuild.sql).
#}
{{ config(materialized='table') }}
{%- set validation_version = code_checksum([
    'stg_bank__transactions', 'int_transactions_classified',
    'int_transactions_converted_to_usd', 'int_transactions_deduplicated',
    'int_loans_first_disbursed', 'int_transactions_joined_to_rule_inputs',
    'int_transaction_validations',
]) ~ var('max_transaction_amount_usd') ~ var('first_transaction_date') -%}

with

transactions as (

    select
        partition_year,
        partition_month,
        transaction_id,
        loan_id,
        borrower_id,
        transaction_status,
        amount_local,
        transaction_at,
        country_code,
        sector_code,
        transaction_type,
        currency_code
    from {{ ref('stg_bank__transactions') }}

),

exchange_rates as (

    select
        extract(year from month_start_date) as rate_year,
        extract(month from month_start_date) as rate_month,
        {{ content_checksum(['country_code', 'local_per_usd']) }} as rates_checksum
    from {{ ref('int_indicators_pivoted_to_country_months') }}
    where local_per_usd is not null
    group by extract(year from month_start_date), extract(month from month_start_date)

),

reference_data as (

    select
        {{ seed_checksum(ref('countries')) }} as countries_checksum,
        {{ seed_checksum(ref('sectors')) }} as sectors_checksum,
        {{ seed_checksum(ref('transaction_types')) }} as transaction_types_checksum,
        {{ seed_checksum(ref('transaction_statuses')) }} as transaction_statuses_checksum

),

partitions as (

    select
        partition_year,
        partition_month,
        count(*) as raw_row_count,
        coalesce(sum(amount_local), 0) as raw_amount_local,
        count(case when transaction_at > {{ validation_time() }} then 1 end)
            as future_row_count,
        {{ content_checksum([
            'transaction_id', 'loan_id', 'borrower_id', 'country_code', 'sector_code',
            'transaction_type', 'transaction_status', 'amount_local', 'currency_code',
            'transaction_at',
        ]) }} as content_checksum
    from transactions
    group by partition_year, partition_month

),

fingerprinted as (

    select
        partitions.partition_year,
        partitions.partition_month,
        partitions.raw_row_count,
        partitions.raw_amount_local,
        {{ dbt.hash(
            "cast(partitions.raw_row_count as varchar)"
            ~ " || ':' || partitions.content_checksum"
            ~ " || ':' || coalesce(exchange_rates.rates_checksum, 'no rates')"
            ~ " || ':' || reference_data.countries_checksum"
            ~ " || ':' || reference_data.sectors_checksum"
            ~ " || ':' || reference_data.transaction_types_checksum"
            ~ " || ':' || reference_data.transaction_statuses_checksum"
            ~ " || ':' || cast(partitions.future_row_count as varchar)"
            ~ " || ':' || '" ~ validation_version ~ "'"
        ) }} as partition_fingerprint
    from partitions
    cross join reference_data
    left join exchange_rates
        on partitions.partition_year = exchange_rates.rate_year
        and partitions.partition_month = exchange_rates.rate_month

)

select * from fingerprinted
