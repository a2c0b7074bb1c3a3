with

source as (

    select * from {{ source('bank', 'transactions') }}

),

renamed as (

    select
        {{ source_row_lineage(['transaction_id', 'transaction_at', 'amount', 'loan_id']) }},
        cast(year as integer) as partition_year,
        cast(month as integer) as partition_month,
        transaction_id,
        loan_id,
        borrower_id,
        country_code,
        sector_code,
        transaction_type,
        status as transaction_status,
        cast(amount as numeric(18, 2)) as amount_local,
        currency_code,
        cast(transaction_at as timestamp) as transaction_at,
        cast(transaction_at as date) as transaction_date,
        {{ month_start('transaction_at') }} as month_start_date
    from source

)

select * from renamed
