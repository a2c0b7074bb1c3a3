with

validated as (

    select * from {{ ref('int_transactions_validated') }}
    where not is_valid

),

rejected as (

    select
        source_file,
        source_row_number,
        partition_year,
        partition_month,
        {{ partition_month_start('partition_year', 'partition_month') }}
            as partition_month_start_date,
        rejection_reasons,
        transaction_id,
        loan_id,
        borrower_id,
        country_code,
        sector_code,
        transaction_type,
        transaction_status,
        currency_code,
        amount_local,
        transaction_at
    from validated

)

select * from rejected
