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
    Everywhere else (dbt show, docs, compile, MetricFlow), and for a mart deferred to
    production, a mart is its published table.
#}
{% macro ref() -%}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'retry') -%}
        {%- set name = varargs | last -%}
        {#- A mart this run builds is read in its own audit schema. --defer resolves a
            ref to production whenever the relation is missing from this run's schema,
            which a mart built but not yet published always is (slim CI's first build):
            its tests would check production's mart, not the pull request's. A mart
            deferred and not built here is read as analysts read it, published, never
            production's audit copy (a build in progress, and a schema CI is not granted). -#}
        {%- for node in published_nodes() if node.name == name -%}
            {%- if node.schema == relation.schema -%}
                {{ return(audit_relation(relation)) }}
            {%- elif node.unique_id in selected_resources -%}
                {{ return(audit_relation(published_relation(node))) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
