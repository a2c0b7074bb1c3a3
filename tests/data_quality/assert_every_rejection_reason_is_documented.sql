-- Every code in a rejected row's rejection_reasons is documented in
-- seeds/rejection_reasons.csv for its source; otherwise the per-reason counts would miss
-- it. Returns the rejected rows with an undocumented code.

with

rejected as (

    select
        source_name,
        source_file,
        source_row_number,
        rejection_reasons,
        length(rejection_reasons) - length(replace(rejection_reasons, ',', '')) + 1
            as reason_count
    from {{ ref('int_rejected_rows_unioned') }}

),

documented as (

    select
        source_name,
        source_file,
        source_row_number,
        count(*) as documented_count
    from {{ ref('int_rejections_split_by_reason') }}
    group by source_name, source_file, source_row_number

)

select
    rejected.source_name,
    rejected.source_file,
    rejected.source_row_number,
    rejected.rejection_reasons
from rejected
left join documented using (source_name, source_file, source_row_number)
where coalesce(documented.documented_count, 0) != rejected.reason_count
