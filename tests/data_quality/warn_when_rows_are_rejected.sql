{{ config(severity='warn', store_failures=true) }}
-- Rejected rows below the threshold do not stop the build, but they are worth a look:
-- one row per source and month with any rejected row (and not already failing the
-- threshold test).

select
    source_name,
    month_start_date,
    raw_row_count,
    rejected_row_count,
    rejected_share,
    rejection_reasons
from {{ ref('fct_data_quality_monthly') }}
where
    rejected_row_count > 0
    and not exceeds_threshold
