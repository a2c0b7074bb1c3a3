-- Every staged transaction reaches fct_transactions exactly once, with its amount intact:
-- row counts and local-currency sums agree per country and month. Returns the
-- country-months that disagree.

with

staged as (

    select
        country_code,
        month_start_date,
        count(*) as transaction_count,
        sum(amount_local) as amount_local
    from {{ ref('stg_bank__transactions') }}
    group by country_code, month_start_date

),

modelled as (

    select
        country_code,
        month_start_date,
        count(*) as transaction_count,
        sum(amount_local) as amount_local
    from {{ ref('fct_transactions') }}
    group by country_code, month_start_date

),

compared as (

    select
        coalesce(staged.country_code, modelled.country_code) as country_code,
        coalesce(staged.month_start_date, modelled.month_start_date) as month_start_date,
        staged.transaction_count as staged_count,
        modelled.transaction_count as modelled_count,
        staged.amount_local as staged_amount_local,
        modelled.amount_local as modelled_amount_local
    from staged
    full outer join modelled
        on staged.country_code = modelled.country_code
        and staged.month_start_date = modelled.month_start_date

)

select *
from compared
where
    staged_count is null
    or modelled_count is null
    or staged_count != modelled_count
    or staged_amount_local != modelled_amount_local
