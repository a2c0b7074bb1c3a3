{#
    Every raw transaction with the codes of the validation rules it breaks. Valid rows go
    on to fct_transactions; the others are quarantined in fct_rejected_transactions. The
    codes are listed, with their remedies, in seeds/rejection_reasons.csv.
#}
{{ config(materialized='table') }}
{%- set now = 'cast(' ~ dbt.current_timestamp() ~ ' as timestamp)' -%}
{%- set first_transaction_at = "cast('" ~ var('first_transaction_date') ~ "' as timestamp)" -%}
{%- set rules = [
    ('missing_transaction_id', 'transaction_id is null'),
    ('missing_loan_id', 'loan_id is null'),
    ('missing_borrower_id', 'borrower_id is null'),
    ('missing_country_code', 'country_code is null'),
    ('missing_transaction_at', 'transaction_at is null'),
    ('missing_amount', 'amount_local is null'),
    ('duplicate_transaction_id', 'transaction_id is not null and occurrence > 1'),
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

-- A payment needs its loan to have been paid out: the first completed disbursement of
-- each loan, among all delivered rows (a disbursement rejected for another reason still
-- paid the money out).
first_disbursements as (

    select
        loan_id,
        min(transaction_at) as first_disbursed_at
    from transactions
    where
        transaction_type = 'disbursement'
        and transaction_status = 'completed'
        and loan_id is not null
    group by loan_id

),

-- The first delivery of a transaction id wins, in file order, which is time order.
numbered as (

    select
        transactions.*,
        row_number() over (
            partition by transactions.transaction_id
            order by transactions.source_file, transactions.source_row_number
        ) as occurrence
    from transactions

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
        {{ rejection_reasons(rules) | indent(8) }}
    from facts

)

select * from validated
