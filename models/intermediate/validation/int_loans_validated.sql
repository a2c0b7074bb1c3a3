{#
    Every raw loans row with the codes of the validation rules it breaks. The first
    delivered row of a loan_id wins, in file order: a later one is the duplicate. Which
    loan a transaction names is not judged here but by the transaction rules
    (unknown_loan, loan_mismatch), which read the first row of each loan_id whatever its
    verdict: a loan's defective terms do not reject its payments. The amounts are
    compared with the commitment only when it is positive (non_positive_commitment
    reports the rest), so that each defect is reported once.
#}
{%- set occurrence = 'row_number() over (partition by loan_id'
    ~ ' order by source_file, source_row_number)' -%}
{%- set rules = [
    ('missing_loan_id', 'loan_id is null'),
    ('missing_country_code', 'country_code is null'),
    ('unknown_country', 'country_code is not null and known_country_code is null'),
    ('unknown_sector', 'known_sector_code is null'),
    ('non_positive_commitment', 'coalesce(commitment_amount, 0) <= 0'),
    ('cancelled_exceeds_commitment',
        'commitment_amount > 0 and (cancelled_amount < 0 or disbursed_before_window < 0'
        ~ ' or repaid_before_window < 0'
        ~ ' or cancelled_amount + disbursed_before_window > commitment_amount'
        ~ ' or repaid_before_window > disbursed_before_window)'),
    ('dates_out_of_order',
        'board_approval_date > agreement_signing_date'
        ~ ' or effective_date < agreement_signing_date'
        ~ ' or last_repayment_date < first_repayment_date'),
    ('duplicate_loan_id', 'loan_id is not null and ' ~ occurrence ~ ' > 1'),
] -%}

with

loans as (

    select * from {{ ref('stg_bank__loans') }}

),

countries as (

    select country_code as known_country_code from {{ ref('countries') }}

),

sectors as (

    select sector_code as known_sector_code from {{ ref('sectors') }}

),

validated as (

    select
        loans.*,
        {{ rejection_reasons(rules) | indent(8) }}
    from loans
    left join countries
        on loans.country_code = countries.known_country_code
    left join sectors
        on loans.sector_code = sectors.known_sector_code

)

-- The staged rows column for column, plus the rejection reasons and is_valid.
select * from validated  -- noqa: AM04
