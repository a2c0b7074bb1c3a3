{#
    Every foreign key of a model, in one test: each key is a {column, to, field} (`to` a
    ref() of the parent). Returns each value of a key that its parent does not have, with
    the key's column and how many rows carry it; nulls pass (pair with not_null).
#}
{% test foreign_keys(model, keys) %}

with

children as (

    select * from {{ model }}

)

{% for key in keys -%}
select
    '{{ key.column }}' as foreign_key,
    cast(child.{{ key.column }} as varchar(256)) as missing_value,
    count(*) as row_count
from children as child
where
    child.{{ key.column }} is not null
    and not exists (
        select 1 from {{ key.to }} as parent
        where parent.{{ key.field }} = child.{{ key.column }}
    )
group by child.{{ key.column }}
{% if not loop.last %}
union all

{% endif -%}
{%- endfor %}

{% endtest %}
