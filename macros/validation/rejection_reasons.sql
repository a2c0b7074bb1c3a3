{#
    Turns validation rules into two columns: `rejection_reasons`, the codes of every rule
    the row breaks, comma-separated in rule order (null when it breaks none), and
    `is_valid`. `rules` is a list of (code, SQL condition) pairs; a condition that
    evaluates to null (a value it needs is missing) counts as not broken, so each rule
    only speaks about what it can judge and another rule reports the missing value.
#}
{% macro rejection_reasons(rules) -%}
    nullif(
        ltrim(
            {%- for code, condition in rules %}
            case when coalesce({{ condition }}, false) then ',{{ code }}' else '' end
            {%- if not loop.last %} ||{% endif %}
            {%- endfor %},
            ','
        ),
        ''
    ) as rejection_reasons,
    not (
        {%- for code, condition in rules %}
        coalesce({{ condition }}, false){% if not loop.last %} or{% endif %}
        {%- endfor %}
    ) as is_valid
{%- endmacro %}
