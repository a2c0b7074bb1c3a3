-- Every raw economic indicator row is either a value in the country-month pivot or a
-- rejected row: raw rows = non-empty pivot cells + fct_rejected_economic_indicators.
-- Returns one row when the counts disagree.

{%- set indicator_columns = [
    'gdp_growth_pct', 'inflation_pct', 'local_per_usd', 'policy_rate_pct',
    'unemployment_pct', 'trade_balance_usd_mn', 'fdi_inflows_usd_mn', 'public_debt_pct_gdp',
] %}

with

raw_rows as (

    select count(*) as row_count from {{ ref('stg_bank__economic_indicators') }}

),

pivot_values as (

    select
        {%- for column in indicator_columns %}
        count({{ column }}){% if not loop.last %} +{% endif %}
        {%- endfor %} as value_count
    from {{ ref('int_indicators_pivoted_to_country_months') }}

),

rejected as (

    select count(*) as row_count from {{ ref('fct_rejected_economic_indicators') }}

)

select
    raw_rows.row_count as raw_row_count,
    pivot_values.value_count as valid_value_count,
    rejected.row_count as rejected_row_count
from raw_rows
cross join pivot_values
cross join rejected
where raw_rows.row_count != pivot_values.value_count + rejected.row_count
