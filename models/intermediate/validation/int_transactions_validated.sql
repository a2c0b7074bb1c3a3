{#
    Every raw transaction's current validation: the rows of int_transaction_validations of
    each partition's current version. What every model downstream of the validation reads.
#}
with

validations as (

    select * from {{ ref('int_transaction_validations') }}

),

current_versions as (

    select
        partition_year,
        partition_month,
        validated_at
    from {{ ref('int_transaction_versions') }}

),

current_validations as (

    select validations.*
    from validations
    inner join current_versions using (partition_year, partition_month, validated_at)

)

-- Column for column the store's rows: its SQL is where the columns are listed.
select * from current_validations  -- noqa: AM04
