{#
    The bank's one definition of success rate: completed transactions over settled ones
    (completed + failed + reversed). Pending transactions are not settled, so they are in
    neither count. With nothing settled the rate is unknown (null), not zero.
#}
{% macro success_rate(completed_count, settled_count) -%}
    case
        when {{ settled_count }} > 0
            then cast({{ completed_count }} as double precision) / {{ settled_count }}
    end
{%- endmacro %}
