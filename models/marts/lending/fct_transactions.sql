{#
    Every version of every valid transaction, from the store of validations: the audit copy
    shows the current versions (int_transaction_versions), the published mart the versions
    last published, so publishing copies no row (meta publish_versions, dbt_project.yml).
    Every identifier is a pseudonym, a keyed hash of the bank's identifier under a domain
    of its own (borrower, loan, transaction), stored with the validation
    (models/intermediate/pseudonymisation/): reading the mart computes no hash. No column
    points back to the delivered row (source_file, source_row_number): that lineage stays
    in the engineers' schemas (int_transaction_validations, the quarantine).
#}
-- depends_on: {{ ref('int_transaction_versions') }}
with

transactions as (

    select * from {{ ref('int_transaction_validations') }}
    where is_valid

),

countries as (

    select
        country_code,
        country_name,
        subregion
    from {{ ref('countries') }}

),

sectors as (

    select
        sector_code,
        sector_name,
        sector_group
    from {{ ref('sectors') }}

),

joined as (

    select
        transactions.transaction_pseudonym as transaction_id,
        transactions.loan_pseudonym as loan_id,
        transactions.borrower_pseudonym as borrower_id,
        transactions.country_code,
        countries.country_name,
        countries.subregion,
        transactions.sector_code,
        sectors.sector_name,
        sectors.sector_group,
        transactions.transaction_type,
        transactions.transaction_status,
        transactions.is_settled,
        transactions.is_successful,
        transactions.currency_code,
        transactions.amount_local,
        transactions.local_per_usd,
        transactions.amount_usd,
        transactions.transaction_at,
        cast(transactions.transaction_at as date) as transaction_date,
        transactions.month_start_date,
        transactions.validated_at
    from transactions
    left join countries using (country_code)
    left join sectors using (sector_code)

)

select * from joined
