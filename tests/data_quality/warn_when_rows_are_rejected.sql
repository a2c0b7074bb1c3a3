{{ config(severity='warn', store_failures=true) }}
-- Rejected rows below the threshold do not stop the build, but they are worth a look:
-- one row per source and month with any rejected row (and not already failing the
-- threshold test). The whole data-quality row is returned: `make run` describes it.

select * from {{ ref('fct_data_quality_monthly') }}  -- noqa: AM04
where
    rejected_row_count > 0
    and not exceeds_threshold
