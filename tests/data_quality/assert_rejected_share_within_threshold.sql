{{ config(severity='error', store_failures=true) }}
-- The build fails when more than max_rejected_share (default 1%) of a source's rows in
-- a month were rejected: the month and the reasons are in the returned rows (stored in
-- the audit schema; `make run` prints them).

select * from {{ ref('fct_data_quality_monthly') }}  -- noqa: AM04
where exceeds_threshold
