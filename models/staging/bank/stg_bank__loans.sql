with

source as (

    select * from {{ source('bank', 'loans') }}

),

renamed as (

    select
        {{ source_row_lineage([
            'loan_id', 'agreement_signing_date', 'original_principal_amount',
        ]) }},
        cast(year as integer) as partition_year,
        loan_id,
        borrower_id,
        country_code,
        sector_code,
        cast(original_principal_amount as numeric(18, 2)) as commitment_amount,
        cast(cancelled_amount as numeric(18, 2)) as cancelled_amount,
        currency_code,
        cast(board_approval_date as date) as board_approval_date,
        cast(agreement_signing_date as date) as agreement_signing_date,
        cast(effective_date as date) as effective_date,
        cast(closing_date as date) as closing_date,
        cast(grace_period_months as integer) as grace_period_months,
        cast(first_repayment_date as date) as first_repayment_date,
        cast(last_repayment_date as date) as last_repayment_date,
        amortisation_type,
        reference_rate,
        cast(spread_pct as double precision) as spread_pct,
        cast(disbursed_before_window as numeric(18, 2)) as disbursed_before_window,
        cast(repaid_before_window as numeric(18, 2)) as repaid_before_window,
        cast(restructured_date as date) as restructured_date,
        cast(restructured_last_repayment_date as date) as restructured_last_repayment_date,
        restructured_date is not null as is_restructured,
        cast(disbursed_before_window as numeric(18, 2)) > 0 as is_disbursed_before_window
    from source

)

select * from renamed
