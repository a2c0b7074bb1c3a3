-- A country-month's (and a sector's) settled count is the sum of the counts of the
-- statuses the transaction_statuses seed calls settled, whatever the seed says today; and
-- every status in the seed has its own <status>_count column in the marts (a status
-- added to the seed fails here until the marts count it). Returns what disagrees.
{%- set statuses = ['completed', 'failed', 'reversed', 'pending'] -%}
{%- set counted = "'" ~ statuses | join("', '") ~ "'" %}

with

statuses as (

    select
        transaction_status,
        is_settled
    from {{ ref('transaction_statuses') }}

),

{% for mart in ['fct_country_monthly', 'fct_sector_monthly'] %}
{{ mart }}_by_status as (

    {%- for status in statuses %}
    select
        country_code,
        {{ "sector_code" if mart == 'fct_sector_monthly' else "'all'" }} as sector_code,
        month_start_date,
        settled_count,
        '{{ status }}' as transaction_status,
        {{ status }}_count as status_count
    from {{ ref(mart) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

{{ mart }}_disagreeing as (

    select
        '{{ mart }}' as mart,
        by_status.country_code,
        by_status.sector_code,
        by_status.month_start_date,
        cast(null as varchar(16)) as uncounted_status
    from {{ mart }}_by_status as by_status
    inner join statuses
        on by_status.transaction_status = statuses.transaction_status
    group by
        by_status.country_code,
        by_status.sector_code,
        by_status.month_start_date,
        by_status.settled_count
    having
        by_status.settled_count
        != sum(case when statuses.is_settled then by_status.status_count else 0 end)

),
{% endfor %}

uncounted as (

    select
        'transaction_statuses' as mart,
        cast(null as varchar(3)) as country_code,
        cast(null as varchar(3)) as sector_code,
        cast(null as date) as month_start_date,
        transaction_status as uncounted_status
    from statuses
    where transaction_status not in ({{ counted }})

)

select * from fct_country_monthly_disagreeing
union all
select * from fct_sector_monthly_disagreeing
union all
select * from uncounted
