with

transactions as (

    select * from {{ ref('int_transactions_validated') }}
    where is_valid

),

aggregated as (

    select
        country_code,
        month_start_date,
        {{ transaction_outcome_metrics() }}
    from transactions
    group by country_code, month_start_date

)

select * from aggregated
