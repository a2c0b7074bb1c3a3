with

transactions as (

    select * from {{ ref('int_transactions_classified') }}

),

exchange_rates as (

    select
        country_code,
        month_start_date,
        local_per_usd
    from {{ ref('int_indicators_pivoted_to_country_months') }}

),

converted as (

    select
        transactions.source_file,
        transactions.source_row_number,
        transactions.partition_year,
        transactions.partition_month,
        transactions.transaction_id,
        transactions.loan_id,
        transactions.borrower_id,
        transactions.country_code,
        transactions.sector_code,
        transactions.transaction_type,
        transactions.transaction_status,
        transactions.is_settled,
        transactions.is_successful,
        transactions.country_currency_code,
        transactions.is_known_sector,
        transactions.is_known_transaction_type,
        transactions.currency_code,
        transactions.amount_local,
        exchange_rates.local_per_usd,
        -- The month's average rate, as the research department's reports use; null when
        -- the month has no published rate.
        cast(
            transactions.amount_local / exchange_rates.local_per_usd as numeric(18, 2)
        ) as amount_usd,
        transactions.transaction_at,
        transactions.transaction_date,
        transactions.month_start_date,
        transactions.is_in_partition,
        transactions.is_in_future,
        transactions.is_before_data_start,
        transactions.is_in_time_range
    from transactions
    left join exchange_rates
        on transactions.country_code = exchange_rates.country_code
        and transactions.month_start_date = exchange_rates.month_start_date

)

select * from converted
