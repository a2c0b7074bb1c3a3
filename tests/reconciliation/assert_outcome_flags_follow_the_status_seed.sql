-- Every fact's is_settled and is_successful are its status's flags in the
-- transaction_statuses seed, and both false for a type that is no payment attempt
-- (counts_in_success_rate false in transaction_types: a write-off), for the rows this
-- build validated (every row in `make check-history`). Returns the facts whose flags
-- disagree with the seeds.

select
    facts.transaction_id,
    facts.transaction_status,
    facts.is_settled,
    facts.is_successful
from {{ ref('fct_transactions') }} as facts
inner join {{ ref('transaction_statuses') }} as statuses
    on facts.transaction_status = statuses.transaction_status
inner join {{ ref('transaction_types') }} as transaction_types
    on facts.transaction_type = transaction_types.transaction_type
where
    {{ in_this_run('facts.validated_at', ref('fct_transactions')) }}
    and (
        facts.is_settled
        != (statuses.is_settled and transaction_types.counts_in_success_rate)
        or facts.is_successful
        != (statuses.is_successful and transaction_types.counts_in_success_rate)
    )
