-- Pseudonymisation neither merges nor splits borrowers: fct_transactions has exactly as
-- many distinct borrower pseudonyms as its validated rows have bank identifiers. The
-- pseudonym is a function of the identifier alone (keyed_hash), so equal counts mean one
-- pseudonym per identifier; counted without joining the two tables' rows, which at 10M
-- transactions cost more than the rest of an incremental month. Returns a row when the
-- counts differ.
with

counts as (

    select
        (
            select count(distinct borrower_id)
            from {{ ref('int_transactions_validated') }}
            where is_valid
        ) as borrower_count,
        (
            select count(distinct borrower_id)
            from {{ ref('fct_transactions') }}
        ) as pseudonym_count

),

mismatched as (

    select * from counts
    where borrower_count != pseudonym_count

)

select * from mismatched
