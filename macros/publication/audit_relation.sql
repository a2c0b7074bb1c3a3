{#
    Write-audit-publish. Every mart is a `published_table`: dbt builds it as a view in the
    audit schema (<target schema>_audit), its contract and tests run there, and only when
    the whole build passed does publish_marts copy it, with every other mart, into the
    target schema that analysts query. A failed build leaves the published marts as the
    last passing build left them.

    audit_relation: where a mart's audit copy lives.
#}
{% macro audit_relation(relation) -%}
    {{ return(relation.incorporate(path={'schema': relation.schema ~ '_audit'}, type='view')) }}
{%- endmacro %}

{# The project's published marts, as graph nodes, in name order. #}
{% macro published_nodes() -%}
    {%- set nodes = [] -%}
    {%- for node in graph.get('nodes', {}).values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
            and node.config.materialized == 'published_table' -%}
            {%- do nodes.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(nodes | sort(attribute='name')) }}
{%- endmacro %}

{#
    ref(), except that while a build runs a mart resolves to its audit copy: the tests and
    the reconciliations check what is about to be published, not what analysts see now.
    Everywhere else (dbt show, docs, compile, MetricFlow) a mart is its published table.
#}
{% macro ref() -%}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'retry') -%}
        {%- set name = varargs | last -%}
        {%- for node in published_nodes() if node.name == name -%}
            {{ return(audit_relation(relation)) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
