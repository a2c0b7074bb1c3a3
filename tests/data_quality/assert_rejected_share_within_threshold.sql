{{ config(severity='error', store_failures=true) }}
-- The build fails when more than max_rejected_share (default 1%) of a source's rows in
-- a month were rejected: the month and the reasons are in the returned rows (stored in
-- the audit schema; `make run` prints them).

select
    source_name,
    month_start_date,
    raw_row_count,
    rejected_row_count,
    rejected_share,
    rejection_reasons
from {{ ref('fct_data_quality_monthly') }}
where exceeds_threshold
