{#
    One row per loan_id: its first delivered row (by file, then row), whatever the loans
    validation says of it, with what the transaction rules compare a transaction with:
    the loan's country and sector, and whether it had money out before the window. The
    rules read nothing else of the loans file, so nothing else is in the partitions'
    fingerprint (int_transaction_partitions_fingerprinted).
#}
with

loans as (

    select
        loan_id,
        country_code,
        sector_code,
        is_disbursed_before_window,
        row_number() over (
            partition by loan_id order by source_file, source_row_number
        ) as occurrence
    from {{ ref('stg_bank__loans') }}
    where loan_id is not null

),

first_delivered as (

    select
        loan_id,
        country_code as loan_country_code,
        sector_code as loan_sector_code,
        coalesce(is_disbursed_before_window, false) as is_disbursed_before_window,
        true as is_known_loan
    from loans
    where occurrence = 1

)

select * from first_delivered
