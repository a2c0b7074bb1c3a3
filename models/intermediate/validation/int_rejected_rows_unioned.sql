{#
    One row per rejected raw row of every source, with the reasons and the month it counts
    in (docs block data_quality_month): the partition month for transactions, the
    reference month for indicators (January of the partition year when the month is
    missing), January of the partition year for demographics and for loans (partitioned
    by signing year).
#}
with

transactions as (

    select
        'transactions' as source_name,
        {{ partition_month_start('partition_year', 'partition_month') }} as month_start_date,
        source_file,
        source_row_number,
        rejection_reasons
    from {{ ref('int_transactions_validated') }}
    where not is_valid

),

economic_indicators as (

    select
        'economic_indicators' as source_name,
        coalesce(month_start_date, {{ partition_month_start('partition_year') }})
            as month_start_date,
        source_file,
        source_row_number,
        rejection_reasons
    from {{ ref('int_economic_indicators_validated') }}
    where not is_valid

),

demographics as (

    select
        'demographics' as source_name,
        {{ partition_month_start('partition_year') }} as month_start_date,
        source_file,
        source_row_number,
        rejection_reasons
    from {{ ref('int_demographics_validated') }}
    where not is_valid

),

loans as (

    select
        'loans' as source_name,
        {{ partition_month_start('partition_year') }} as month_start_date,
        source_file,
        source_row_number,
        rejection_reasons
    from {{ ref('int_loans_validated') }}
    where not is_valid

),

unioned as (

    select * from transactions
    union all
    select * from economic_indicators
    union all
    select * from demographics
    union all
    select * from loans

)

select * from unioned
