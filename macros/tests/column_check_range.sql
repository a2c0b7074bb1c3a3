{#- One range rule: its label and its failing condition (false for a null value). -#}
{% macro column_check_range(column, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            'column_checks: the range of ' ~ column ~ ' needs min_value or max_value') }}
    {%- endif -%}
    {%- set low, high = ('>=', '<=') if inclusive else ('>', '<') -%}
    {%- set bounds = [] -%}
    {%- if min_value is not none -%}
        {%- do bounds.append(column ~ ' ' ~ low ~ ' ' ~ min_value) -%}
    {%- endif -%}
    {%- if max_value is not none -%}
        {%- do bounds.append(column ~ ' ' ~ high ~ ' ' ~ max_value) -%}
    {%- endif -%}
    {%- set label = column ~ ' outside ' ~ ('[' if inclusive else '(')
        ~ (min_value if min_value is not none else '-inf') ~ ', '
        ~ (max_value if max_value is not none else 'inf') ~ (']' if inclusive else ')') -%}
    {{ return((label, column ~ ' is not null and not (' ~ bounds | join(' and ') ~ ')')) }}
{% endmacro %}
