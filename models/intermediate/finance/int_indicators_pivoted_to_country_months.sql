with

indicators as (

    select
        country_code,
        month_start_date,
        indicator_code,
        indicator_value
    from {{ ref('int_economic_indicators_validated') }}
    where is_valid

),

-- One column per indicator of the catalogue seed, named by its pivot_column.
pivoted as (

    select
        country_code,
        {%- for code, column in indicator_columns(ref('indicator_catalogue')) %}
        max(case when indicator_code = '{{ code }}' then indicator_value end) as {{ column }},
        {%- endfor %}
        month_start_date
    from indicators
    group by country_code, month_start_date

),

with_previous_month as (

    select
        pivoted.*,
        100 * (pivoted.local_per_usd / nullif(previous_month.local_per_usd, 0) - 1)
            as local_per_usd_change_1_month_pct
    from pivoted
    left join pivoted as previous_month
        on pivoted.country_code = previous_month.country_code
        and previous_month.month_start_date
        = cast({{ dbt.dateadd('month', -1, 'pivoted.month_start_date') }} as date)

)

select * from with_previous_month
