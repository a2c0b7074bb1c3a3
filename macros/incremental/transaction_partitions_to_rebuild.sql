{#
    The partitions int_transactions_deduplicated rebuilds on an incremental run: those whose
    fingerprint changed (`fingerprints`: new, re-delivered, withdrawn, revised rate or
    reference data, changed rules), and the other partitions whose verdicts the change
    reaches through the two rules that look across months:

      duplicate_transaction_id   the first delivery of an id, by file then row, wins: a
                                 delivery added to or removed from a changed partition
                                 can make a later delivery of the same id elsewhere the
                                 first, or no longer the first;
      loan_never_disbursed       a payment needs its loan's first successful disbursement
                                 at or before it: a disbursement added, removed or moved
                                 in a changed partition moves that date for every payment
                                 of the loan, in whatever month.

    Both are found from the changed partitions' rows as validated last time and as
    delivered now (`deliveries`, the classified view), against the rows stored in this model:
    the cost follows the size of the change, not of the history. A new month usually
    reaches nothing else (its ids are new, its loans' first disbursements unchanged).
#}
{% macro transaction_partitions_to_rebuild(fingerprints, deliveries) %}
    {%- set changed = partitions_to_rebuild(fingerprints, 'partition_fingerprint') -%}
    {%- if not changed -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set keys = 'transaction_id, loan_id, transaction_type, is_successful,'
        ~ ' transaction_at, source_file, source_row_number' -%}
    {%- set query -%}
        with

        touched as (
            select {{ keys }} from {{ this }} where {{ in_partitions(changed) }}
            union all
            select {{ keys }} from {{ deliveries }} where {{ in_partitions(changed) }}
        ),

        kept as (
            select partition_year, partition_month, {{ keys }}
            from {{ this }}
            where not {{ in_partitions(changed) }}
        ),

        later_deliveries_of_touched_ids as (
            select kept.partition_year, kept.partition_month
            from kept
            inner join touched using (transaction_id)
            where
                kept.source_file > touched.source_file
                or (
                    kept.source_file = touched.source_file
                    and kept.source_row_number > touched.source_row_number
                )
        ),

        touched_loans as (
            select distinct loan_id
            from touched
            where
                transaction_type = 'disbursement'
                and is_successful
                and loan_id is not null
        ),

        first_disbursed_before as (
            {{- _first_disbursements_of_touched_loans(this) | indent(4) }}
        ),

        first_disbursed_after as (
            {%- set rows_now -%}
                (
                    select loan_id, transaction_type, is_successful, transaction_at from kept
                    union all
                    select loan_id, transaction_type, is_successful, transaction_at
                    from {{ deliveries }}
                    where {{ in_partitions(changed) }}
                )
            {%- endset %}
            {{- _first_disbursements_of_touched_loans(rows_now) | indent(4) }}
        ),

        loans_whose_first_disbursement_moved as (
            select coalesce(before.loan_id, after.loan_id) as loan_id
            from first_disbursed_before as before
            full outer join first_disbursed_after as after
                on before.loan_id = after.loan_id
            where
                before.first_disbursed_at is null
                or after.first_disbursed_at is null
                or before.first_disbursed_at != after.first_disbursed_at
        ),

        payments_of_those_loans as (
            select kept.partition_year, kept.partition_month
            from kept
            inner join loans_whose_first_disbursement_moved as moved using (loan_id)
            where coalesce(kept.transaction_type, '') != 'disbursement'
        )

        select partition_year, partition_month from later_deliveries_of_touched_ids
        union
        select partition_year, partition_month from payments_of_those_loans
    {%- endset -%}
    {%- set partitions = changed -%}
    {%- for row in run_query(query).rows -%}
        {%- do partitions.append([row[0] | int, row[1] | int]) -%}
    {%- endfor -%}
    {{ return(partitions | sort) }}
{% endmacro %}

{# Each touched loan's first successful disbursement among `rows` (a relation or a
   parenthesised select): the date loan_never_disbursed judges its payments by. #}
{% macro _first_disbursements_of_touched_loans(rows) %}
        select candidate.loan_id, min(candidate.transaction_at) as first_disbursed_at
        from {{ rows }} as candidate
        inner join touched_loans using (loan_id)
        where
            candidate.transaction_type = 'disbursement'
            and candidate.is_successful
        group by candidate.loan_id
{% endmacro %}
