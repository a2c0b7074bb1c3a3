-- Every fact's is_settled and is_successful are its status's flags in the
-- transaction_statuses seed, for the rows this build validated (every row in `make
-- check-history`). Returns the facts
-- whose flags disagree with the seed.

select
    facts.transaction_id,
    facts.transaction_status,
    facts.is_settled,
    facts.is_successful
from {{ ref('fct_transactions') }} as facts
inner join {{ ref('transaction_statuses') }} as statuses
    on facts.transaction_status = statuses.transaction_status
where
    {{ in_this_run('facts.validated_at', ref('fct_transactions')) }}
    and (
        facts.is_settled != statuses.is_settled
        or facts.is_successful != statuses.is_successful
    )
