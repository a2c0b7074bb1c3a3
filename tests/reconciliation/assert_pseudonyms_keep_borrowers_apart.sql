-- Pseudonymisation neither merges nor splits borrowers: fct_transactions has exactly as
-- many distinct borrower pseudonyms as its validated rows have bank identifiers, and each
-- identifier has one pseudonym. Returns a row when either count differs.
with

validated as (

    select
        transaction_id,
        borrower_id
    from {{ ref('int_transactions_validated') }}
    where is_valid

),

published as (

    select
        transaction_id,
        borrower_id as borrower_pseudonym
    from {{ ref('fct_transactions') }}

),

pairs as (

    select distinct
        validated.borrower_id,
        published.borrower_pseudonym
    from validated
    inner join published
        on validated.transaction_id = published.transaction_id

),

counts as (

    select
        (select count(distinct borrower_id) from validated) as borrower_count,
        (select count(distinct borrower_pseudonym) from published) as pseudonym_count,
        (select count(*) from pairs) as pair_count

),

mismatched as (

    select * from counts
    where borrower_count != pseudonym_count or pair_count != borrower_count

)

select * from mismatched
