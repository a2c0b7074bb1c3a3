{#
    Every column-level rule of a model, in one query (one node and one scan, where a test
    per column and rule would cost a node each): each failing row, with the rules it
    breaks named in `failed_checks` (e.g. "success_rate outside [0, 1]; population is
    null").

      not_null         columns that must have a value
      accepted_values  {column: [values]}: nulls pass (pair with not_null)
      ranges           {column: {min_value, max_value, inclusive}}: either bound may be
                       left out; inclusive (the default) or both bounds strict; nulls pass
      unique           columns whose values must not repeat (nulls pass), for small models:
                       a window over the whole model per column
      expressions      {name: SQL boolean over the row}: a row-level rule, failing when
                       false or null
#}
{% test column_checks(
    model, not_null=[], accepted_values={}, ranges={}, unique=[], expressions={}
) %}
{%- set checks = [] -%}
{%- for column in not_null -%}
    {%- do checks.append((column ~ ' is null', column ~ ' is null')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ value ~ "'") -%}
    {%- endfor -%}
    {%- do checks.append((
        column ~ ' not in (' ~ values | join(', ') ~ ')',
        column ~ ' not in (' ~ quoted | join(', ') ~ ')',
    )) -%}
{%- endfor -%}
{%- for column, bounds in ranges.items() -%}
    {%- do checks.append(column_check_range(column, **bounds)) -%}
{%- endfor -%}
{%- for column in unique -%}
    {%- do checks.append((column ~ ' repeats', '_repeats_' ~ column)) -%}
{%- endfor -%}
{%- for name, expression in expressions.items() -%}
    {%- do checks.append((name, 'not coalesce((' ~ expression ~ '), false)')) -%}
{%- endfor -%}
{%- if not checks -%}
    {{ exceptions.raise_compiler_error('column_checks on ' ~ model ~ ' names no rule') }}
{%- endif -%}

with

checked_rows as (

    select
        *
        {%- for column in unique %},
        count(*) over (partition by {{ column }}) > 1
        and {{ column }} is not null as _repeats_{{ column }}
        {%- endfor %}
    from {{ model }}

),

failures as (

    select
        checked_rows.*,
        {%- for label, condition in checks %}
        coalesce(case when {{ condition }} then '; {{ label | replace("'", "''") }}' end, '')
        {{- ' ||' if not loop.last else ' as failure_list' }}
        {%- endfor %}
    from checked_rows
    where
        {%- for label, condition in checks %}
        {{ 'or ' if not loop.first }}coalesce({{ condition }}, false)
        {%- endfor %}

)

select
    substring(failure_list from 3) as failed_checks,
    failures.*
from failures

{% endtest %}

