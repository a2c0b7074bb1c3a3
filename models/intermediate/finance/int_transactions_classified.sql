{#
    Every raw transaction row, classified against the reference seeds: the outcome flags
    of its status (transaction_statuses), the currency its country books in (countries),
    and whether its sector and type are known (sectors, transaction_types). Null where the
    seed does not know the code: the validation rules judge that. A type that is no
    payment attempt (counts_in_success_rate false: a write-off) is neither settled nor
    successful, so it never moves the success rate.
#}
with

transactions as (

    select * from {{ ref('stg_bank__transactions') }}

),

statuses as (

    select
        transaction_status,
        is_settled,
        is_successful
    from {{ ref('transaction_statuses') }}

),

countries as (

    select
        country_code,
        currency_code
    from {{ ref('countries') }}

),

sectors as (

    select sector_code from {{ ref('sectors') }}

),

transaction_types as (

    select
        transaction_type,
        counts_in_success_rate
    from {{ ref('transaction_types') }}

),

classified as (

    select
        transactions.source_file,
        transactions.source_row_number,
        transactions.partition_year,
        transactions.partition_month,
        transactions.transaction_id,
        transactions.loan_id,
        transactions.borrower_id,
        transactions.country_code,
        transactions.sector_code,
        transactions.transaction_type,
        transactions.transaction_status,
        case
            when transaction_types.counts_in_success_rate or statuses.is_settled is null
                then statuses.is_settled
            else false
        end as is_settled,
        case
            when transaction_types.counts_in_success_rate or statuses.is_successful is null
                then statuses.is_successful
            else false
        end as is_successful,
        countries.currency_code as country_currency_code,
        sectors.sector_code is not null as is_known_sector,
        transaction_types.transaction_type is not null as is_known_transaction_type,
        transactions.currency_code,
        transactions.amount_local,
        transactions.transaction_at,
        transactions.transaction_date,
        transactions.month_start_date,
        extract(year from transactions.transaction_at) = transactions.partition_year
        and extract(month from transactions.transaction_at) = transactions.partition_month
            as is_in_partition,
        transactions.transaction_at > {{ validation_time() }} as is_in_future,
        transactions.transaction_at
        < cast('{{ var("first_transaction_date") }}' as timestamp) as is_before_data_start,
        transactions.transaction_at
        between cast('{{ var("first_transaction_date") }}' as timestamp)
        and {{ validation_time() }} as is_in_time_range
    from transactions
    left join statuses using (transaction_status)
    left join countries using (country_code)
    left join sectors using (sector_code)
    left join transaction_types using (transaction_type)

)

select * from classified
