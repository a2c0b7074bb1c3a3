{#
    The files of the transactions delivery, without reading their rows: what tells the
    incremental models which partitions were delivered again (macros/incremental/
    raw_files.sql says what each engine knows of a file).
#}
with

files as (

    {{ raw_files(source('bank', 'transactions')) | indent(4) }}

),

renamed as (

    select
        source_file,
        cast(partition_year as integer) as partition_year,
        cast(partition_month as integer) as partition_month,
        file_version
    from files

)

select * from renamed
