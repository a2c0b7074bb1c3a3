{#
    Every raw transaction with the codes of the validation rules it breaks. Valid rows go
    on to fct_transactions; the others are quarantined in fct_rejected_transactions. The
    codes are listed, with their remedies, in seeds/rejection_reasons.csv.

    Incremental by monthly partition: a run validates again the partitions whose inputs
    changed (int_transaction_partitions_fingerprinted) and those a change reaches through
    the rules that look across months (the first delivery of an id wins, a payment needs
    an earlier disbursement), which consult the rows already validated
    (macros/incremental/transaction_partitions_to_rebuild.sql). The result is what a full
    refresh of the same inputs gives.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_partitions(transaction_partitions_to_rebuild(
        ref('int_transaction_partitions_fingerprinted'), ref('int_transactions_classified'))) }}",
) }}
{%- set partitions = transaction_partitions_to_rebuild(
    ref('int_transaction_partitions_fingerprinted'), ref('int_transactions_classified')
) -%}
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
    ('duplicate_transaction_id', 'occurrence > 1'),
    ('non_positive_amount', 'amount_local <= 0'),
    ('absurd_amount', 'amount_usd > ' ~ var('max_transaction_amount_usd')),
    ('unknown_country', 'country_code is not null and country_currency_code is null'),
    ('unknown_sector', 'known_sector_code is null'),
    ('unknown_transaction_type', 'known_transaction_type is null'),
    ('unknown_status', 'is_settled is null'),
    ('currency_mismatch',
        "country_currency_code != coalesce(currency_code, '')"),
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

-- The same rows, narrowed to what the cross-row rules need: these are read several
-- times, and a narrow copy is far cheaper to keep than every column.
batch_keys as (

    select
        transaction_id,
        loan_id,
        transaction_type,
        is_successful,
        transaction_at,
        source_file,
        source_row_number
    from {{ ref('int_transactions_converted_to_usd') }}
    {%- if is_incremental() %}
    where {{ in_partitions(partitions) }}
    {%- endif %}

),

fingerprints as (

    select
        partition_year,
        partition_month,
        partition_fingerprint
    from {{ ref('int_transaction_partitions_fingerprinted') }}

),

-- Rows of other months, validated before: they take part in the cross-month rules.
-- (None on a full build, where every month is in the batch.)
history as (

    select
        transaction_id,
        loan_id,
        transaction_type,
        is_successful,
        transaction_at,
        source_file,
        source_row_number
    {%- if is_incremental() %}
    from {{ this }}
    where not {{ in_partitions(partitions) }}
    {%- else %}
    from batch_keys
    where 1 = 0
    {%- endif %}

),

countries as (

    select
        country_code,
        currency_code
    from {{ ref('countries') }}

),

sectors as (

    select sector_code from {{ ref('sectors') }}

),

transaction_types as (

    select transaction_type from {{ ref('transaction_types') }}

),

-- A payment needs its loan to have been paid out: the first successful disbursement of
-- each loan (successful as the transaction_statuses seed says), among all delivered rows
-- (a disbursement rejected for another reason still paid the money out).
disbursements as (

    select
        loan_id,
        transaction_at
    from batch_keys
    where
        transaction_type = 'disbursement'
        and is_successful
        and loan_id is not null
    union all
    select
        loan_id,
        transaction_at
    from history
    where
        transaction_type = 'disbursement'
        and is_successful
        and loan_id in (select batch_keys.loan_id from batch_keys)

),

first_disbursements as (

    select
        loan_id,
        min(transaction_at) as first_disbursed_at
    from disbursements
    group by loan_id

),

deliveries as (

    select
        transaction_id,
        source_file,
        source_row_number,
        true as is_in_batch
    from batch_keys
    where transaction_id is not null
    union all
    select
        transaction_id,
        source_file,
        source_row_number,
        false as is_in_batch
    from history
    where transaction_id in (select batch_keys.transaction_id from batch_keys)

),

-- Ids delivered more than once (a hash aggregate: cheap even over all of history).
repeated_ids as (

    select transaction_id
    from deliveries
    group by transaction_id
    having count(*) > 1

),

-- The first delivery of a repeated id wins, in file order, which is time order. Only
-- the few repeated ids are ranked; every other row is its id's one delivery.
occurrences as (

    select
        source_file,
        source_row_number,
        occurrence
    from (
        select
            deliveries.source_file,
            deliveries.source_row_number,
            deliveries.is_in_batch,
            row_number() over (
                partition by deliveries.transaction_id
                order by deliveries.source_file, deliveries.source_row_number
            ) as occurrence
        from deliveries
        inner join repeated_ids
            on deliveries.transaction_id = repeated_ids.transaction_id
    ) as ranked
    where is_in_batch

),

numbered as (

    select
        transactions.*,
        occurrences.occurrence,
        fingerprints.partition_fingerprint
    from transactions
    left join occurrences
        on transactions.source_file = occurrences.source_file
        and transactions.source_row_number = occurrences.source_row_number
    inner join fingerprints
        on transactions.partition_year = fingerprints.partition_year
        and transactions.partition_month = fingerprints.partition_month

),

facts as (

    select
        numbered.*,
        countries.currency_code as country_currency_code,
        sectors.sector_code as known_sector_code,
        transaction_types.transaction_type as known_transaction_type,
        first_disbursements.first_disbursed_at,
        numbered.transaction_at >= {{ first_transaction_at }}
        and numbered.transaction_at <= {{ now }} as is_in_time_range,
        extract(year from numbered.transaction_at) = numbered.partition_year
        and extract(month from numbered.transaction_at) = numbered.partition_month
            as is_in_partition
    from numbered
    left join countries
        on numbered.country_code = countries.country_code
    left join sectors
        on numbered.sector_code = sectors.sector_code
    left join transaction_types
        on numbered.transaction_type = transaction_types.transaction_type
    left join first_disbursements
        on numbered.loan_id = first_disbursements.loan_id

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
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as validated_at,
        {{ rejection_reasons(rules) | indent(8) }}
    from facts

)

select * from validated
