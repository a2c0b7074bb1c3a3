{{ config(severity='warn', store_failures=true) }}
-- Transactions arrive as one partition a month. A month between the first and the last
-- with no rows at all usually means a delivery went missing (or arrived as an empty
-- folder) rather than a month without business; its facts would silently read zero.
-- Returns the months with no raw rows.

with

delivered as (

    select {{ partition_month_start('partition_year', 'partition_month') }} as month_start_date
    from {{ ref('int_transaction_partitions_fingerprinted') }}

),

expected as (

    {{ month_spine(
        start_month='(select min(month_start_date) from delivered)',
        end_month='(select max(month_start_date) from delivered)'
    ) | indent(4) }}

)

select expected.month_start_date
from expected
left join delivered using (month_start_date)
where delivered.month_start_date is null
