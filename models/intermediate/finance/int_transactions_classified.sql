with

transactions as (

    select * from {{ ref('stg_bank__transactions') }}

),

statuses as (

    select
        transaction_status,
        is_settled,
        is_successful
    from {{ ref('transaction_statuses') }}

),

classified as (

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
        statuses.is_settled,
        statuses.is_successful,
        transactions.currency_code,
        transactions.amount_local,
        transactions.transaction_at,
        transactions.transaction_date,
        transactions.month_start_date
    from transactions
    left join statuses
        on transactions.transaction_status = statuses.transaction_status

)

select * from classified
