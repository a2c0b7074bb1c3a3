{#
    One row per delivered monthly partition of raw transactions, with a fingerprint of
    everything its validated rows depend on. int_transactions_deduplicated rebuilds exactly
    the partitions whose fingerprint differs from the one it stored, so an incremental
    run gives what a full refresh of the same inputs gives. The fingerprint covers:
      - the partition's rows (row count and content checksum, stored when it was last
        delivered: int_transaction_partitions_totalled);
      - the month's exchange rates, all countries (a revised or withdrawn rate changes the
        USD amounts and the absurd_amount and missing_exchange_rate verdicts);
      - what the loans file says of the loans the partition's rows name (their country,
        sector and balance brought forward: the unknown_loan, loan_mismatch and
        loan_never_disbursed verdicts), so a revised loan validates again the partitions
        with its transactions and a new loan (an appended month's) none before it;
      - the reference seeds that shape a row (countries, sectors, transaction types and
        statuses: a change there rebuilds every partition);
      - the clock, while any of its rows is dated after it (the future_timestamp verdict
        moves with the clock, so such a partition is validated again at every build);
      - the validation code and its vars (a changed rule rebuilds every partition);
      - the version of the pseudonyms (the key and the code that hashes: a new one gives
        every borrower a new pseudonym), computed in the warehouse, never written into SQL.
    The rules that look across months are the incremental model's own concern
    (macros/incremental/transaction_partitions_to_rebuild.sql).
#}
{{ config(materialized='table') }}
{%- set validation_version = code_checksum([
    'stg_bank__transactions', 'int_transactions_classified',
    'int_transactions_converted_to_usd', 'int_transactions_deduplicated',
    'int_loans_first_disbursed', 'int_loans_as_first_delivered',
    'int_transaction_loans_listed_by_partition', 'int_transactions_joined_to_rule_inputs',
    'int_transaction_validations',
]) ~ var('max_transaction_amount_usd') ~ var('first_transaction_date') -%}

with

totals as (

    select * from {{ ref('int_transaction_partitions_totalled') }}

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

loans as (

    select
        listed.partition_year,
        listed.partition_month,
        {{ content_checksum([
            'listed.loan_id', 'loans.loan_country_code', 'loans.loan_sector_code',
            'loans.is_disbursed_before_window',
        ]) }} as loans_checksum
    from {{ ref('int_transaction_loans_listed_by_partition') }} as listed
    left join {{ ref('int_loans_as_first_delivered') }} as loans
        on listed.loan_id = loans.loan_id
    group by listed.partition_year, listed.partition_month

),

reference_data as (

    select
        {{ seed_checksum(ref('countries')) }} as countries_checksum,
        {{ seed_checksum(ref('sectors')) }} as sectors_checksum,
        {{ seed_checksum(ref('transaction_types')) }} as transaction_types_checksum,
        {{ seed_checksum(ref('transaction_statuses')) }} as transaction_statuses_checksum

),

fingerprinted as (

    select
        totals.partition_year,
        totals.partition_month,
        totals.raw_row_count,
        totals.raw_amount_local,
        {{ dbt.hash(
            "cast(totals.raw_row_count as varchar)"
            ~ " || ':' || totals.content_checksum"
            ~ " || ':' || coalesce(exchange_rates.rates_checksum, 'no rates')"
            ~ " || ':' || coalesce(loans.loans_checksum, 'no loans')"
            ~ " || ':' || reference_data.countries_checksum"
            ~ " || ':' || reference_data.sectors_checksum"
            ~ " || ':' || reference_data.transaction_types_checksum"
            ~ " || ':' || reference_data.transaction_statuses_checksum"
            ~ " || ':' || case when totals.latest_transaction_at > " ~ validation_time()
            ~ " then cast(" ~ validation_time() ~ " as varchar) else 'in the past' end"
            ~ " || ':' || " ~ pseudonym_version()
            ~ " || ':' || '" ~ validation_version ~ "'"
        ) }} as partition_fingerprint
    from totals
    cross join reference_data
    left join exchange_rates
        on totals.partition_year = exchange_rates.rate_year
        and totals.partition_month = exchange_rates.rate_month
    left join loans
        on totals.partition_year = loans.partition_year
        and totals.partition_month = loans.partition_month

)

select * from fingerprinted
