{#
    One row per loan with a successful disbursement (successful as the
    transaction_statuses seed says): when it was first paid out, among every delivered
    row; a loan of the opening book (disbursed before the window, says the loans file)
    counts from the window's start. A disbursement rejected for another reason still paid
    the money out, so it counts. A payment before this moment, or of a loan not here, was
    never disbursed.
#}
with

disbursements as (

    select
        loan_id,
        transaction_at
    from {{ ref('int_transactions_deduplicated') }}
    where
        transaction_type = 'disbursement'
        and is_successful
        and loan_id is not null
        and transaction_at is not null

),

brought_forward as (

    select
        loan_id,
        cast('{{ var("first_transaction_date") }}' as timestamp) as transaction_at
    from {{ ref('int_loans_as_first_delivered') }}
    where is_disbursed_before_window

),

first_disbursed as (

    select
        loan_id,
        min(transaction_at) as first_disbursed_at
    from (
        select * from disbursements
        union all
        select * from brought_forward
    ) as paid_out
    group by loan_id

)

select * from first_disbursed
