-- Every raw loans row is either a valid loan or a rejected row, per partition (signing)
-- year. Returns the years that disagree.

{{ rows_per_year_that_differ(
    ref('stg_bank__loans'),
    ref('int_loans_validated'),
    ref('fct_rejected_loans'),
) }}
