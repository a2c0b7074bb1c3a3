{#
    Every raw transaction row with what the rules that look beyond the row need: whether
    it repeats an earlier row (int_transactions_deduplicated), the version of its
    partition, its loan's first disbursement, and its loan's row in the loans file
    (int_loans_as_first_delivered); and its borrower's pseudonym.
    int_transaction_validations applies the rules; an incremental run reads only the
    partitions it rebuilds from this view.
#}
with

transactions as (

    select * from {{ ref('int_transactions_converted_to_usd') }}

),

-- Only the duplicates and each partition's version: joining every row back to its copy
-- in int_transactions_deduplicated would cost more than the rest of the validation.
duplicates as (

    select
        source_file,
        source_row_number
    from {{ ref('int_transactions_deduplicated') }}
    where is_duplicate

),

versions as (

    select
        partition_year,
        partition_month,
        max(deduplicated_at) as deduplicated_at
    from {{ ref('int_transactions_deduplicated') }}
    group by partition_year, partition_month

),

first_disbursements as (

    select * from {{ ref('int_loans_first_disbursed') }}

),

loans as (

    select
        loan_id,
        loan_country_code,
        loan_sector_code,
        is_known_loan
    from {{ ref('int_loans_as_first_delivered') }}

),

borrower_pseudonyms as (

    select
        borrower_id,
        borrower_pseudonym
    from {{ ref('int_borrowers_pseudonymised') }}

),

loan_pseudonyms as (

    select
        loan_id,
        loan_pseudonym
    from {{ ref('int_loans_pseudonymised') }}

),

transaction_pseudonyms as (

    select
        transaction_id,
        transaction_pseudonym
    from {{ ref('int_transactions_pseudonymised') }}

),

facts as (

    select
        transactions.*,
        duplicates.source_file is not null as is_duplicate,
        versions.deduplicated_at,
        first_disbursements.first_disbursed_at,
        loans.loan_country_code,
        loans.loan_sector_code,
        coalesce(loans.is_known_loan, false) as is_known_loan,
        borrower_pseudonyms.borrower_pseudonym,
        loan_pseudonyms.loan_pseudonym,
        transaction_pseudonyms.transaction_pseudonym
    from transactions
    inner join versions using (partition_year, partition_month)
    left join duplicates using (source_file, source_row_number)
    left join first_disbursements using (loan_id)
    left join loans using (loan_id)
    left join borrower_pseudonyms using (borrower_id)
    left join loan_pseudonyms using (loan_id)
    left join transaction_pseudonyms using (transaction_id)

)

-- The converted rows column for column, plus nine: their SQL is where the columns are listed.
select * from facts  -- noqa: AM04
