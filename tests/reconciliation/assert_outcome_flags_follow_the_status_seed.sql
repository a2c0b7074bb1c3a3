-- Every fact's is_settled and is_successful are its status's flags in the
-- transaction_statuses seed, for the rows the latest build validated. Returns the facts
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
    facts.validated_at = (
        select max(latest.validated_at) from {{ ref('fct_transactions') }} as latest
    )
    and (
        facts.is_settled != statuses.is_settled
        or facts.is_successful != statuses.is_successful
    )
