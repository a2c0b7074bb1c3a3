-- dim_months has exactly the months of fct_country_monthly, and one latest month: the
-- last of them. Returns the months that break this.

with

months as (

    select
        month_start_date,
        is_latest_month
    from {{ ref('dim_months') }}

),

grid as (

    select distinct month_start_date from {{ ref('fct_country_monthly') }}

),

latest as (

    select max(month_start_date) as month_start_date from grid

)

select
    coalesce(months.month_start_date, grid.month_start_date) as month_start_date,
    months.is_latest_month
from months
full outer join grid
    on months.month_start_date = grid.month_start_date
cross join latest
where
    months.month_start_date is null
    or grid.month_start_date is null
    or months.is_latest_month != (months.month_start_date = latest.month_start_date)
