-- Every raw demographics row is either a valid country-year or a rejected row, per
-- partition year. Returns the years that disagree.

{{ rows_per_year_that_differ(
    ref('stg_bank__demographics'),
    ref('int_demographics_validated'),
    ref('fct_rejected_demographics'),
) }}
