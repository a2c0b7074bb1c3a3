{#
    The publish step of write-audit-publish, run by on-run-end after `dbt build`.

    Publishes only when the build built and passed everything: no model, test, unit test
    or contract failed, errored or was skipped, and every mart was built in this run (a
    partial selection such as `dbt build -s fct_country_monthly` publishes nothing, since
    its upstream was not audited). Then, in one transaction, every mart's audit view is
    copied to its published table: analysts see all of this build or none of it.

    A mart with meta `publish_versions` (fct_transactions) is not copied: its published
    relation is a view pinned to the versions this build validated (version_statements);
    the others are small and replaced whole.
#}
{% macro publish_marts(results) %}
    {%- if not execute or flags.WHICH != 'build' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set marts = published_nodes() -%}
    {%- set blocking = [] -%}
    {%- set built = [] -%}
    {%- set compiled = {} -%}
    {%- for result in results -%}
        {%- do compiled.update({result.node.unique_id: result.node.compiled_code}) -%}
        {%- if result.status in ('error', 'fail', 'skipped', 'runtime error') -%}
            {%- do blocking.append(result.node.name ~ ' (' ~ result.status ~ ')') -%}
        {%- elif result.status == 'success' -%}
            {%- do built.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set unbuilt = [] -%}
    {%- for node in marts if node.unique_id not in built -%}
        {%- do unbuilt.append(node.name) -%}
    {%- endfor -%}

    {%- if blocking -%}
        {{ log('Marts NOT published: ' ~ blocking | length ~ ' node(s) did not pass: '
            ~ blocking[:5] | join(', ') ~ ('...' if blocking | length > 5 else '')
            ~ '. Analysts still see the last passing build; this build is in the '
            ~ _mart_schemas(marts, '_audit') | join(' and ') ~ ' schema.', info=true) }}
        {{ return('') }}
    {%- elif unbuilt -%}
        {{ log('Marts not published: this run did not build ' ~ unbuilt | join(', ')
            ~ '; only a build of the whole project publishes.', info=true) }}
        {{ return('') }}
    {%- endif -%}

    {%- set published_log = publication_log() -%}
    {%- set statements = [] -%}
    {%- for node in marts -%}
        {%- do statements.extend(publication_statements(node, compiled[node.unique_id])) -%}
        {%- do statements.append(
            "delete from " ~ published_log ~ " where mart = '" ~ node.name ~ "'") -%}
        {%- do statements.append("insert into " ~ published_log
            ~ " (mart, code_version, published_at) values ('" ~ node.name ~ "', '"
            ~ published_code_version(node) ~ "', cast('"
            ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp))") -%}
    {%- endfor -%}
    {#- One transaction: the first statement opens it (auto_begin), the commit ends it,
        and any error before the commit leaves every published table as it was. -#}
    {%- for sql in statements -%}
        {%- call statement('publish_marts', auto_begin=true) -%}
            {{ sql }}
        {%- endcall -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {{ log('Published ' ~ marts | length ~ ' of ' ~ marts | length ~ ' marts to schema '
        ~ _mart_schemas(marts) | join(' and ') ~ ': ' ~ marts | map(attribute='name') | join(', '),
        info=true) }}
    {{ return('') }}
{% endmacro %}


{# The schemas the marts are published to (with `suffix`: their audit schemas), in order. #}
{% macro _mart_schemas(marts, suffix='') -%}
    {%- set schemas = [] -%}
    {%- for schema in marts | map(attribute='schema') | unique | sort -%}
        {%- do schemas.append(schema ~ suffix) -%}
    {%- endfor -%}
    {{ return(schemas) }}
{%- endmacro %}


{#
    What the publication log records as a mart's version: its code's checksum. (A mart's
    pseudonyms are stored in the rows it reads, each with the version of its key: a new key
    validates every partition again, so the versions published change with it.)
#}
{% macro published_code_version(node) -%}
    {{ return(code_checksum([node.name])) }}
{%- endmacro %}


{#
    Every copied mart's create table and grants, as publish_marts would run them on a first
    build (a mart published by version is a view of its own SQL, checked as the model).
#}
{% macro published_tables_ddl() -%}
    {%- set statements = [] -%}
    {%- for node in published_nodes() if not node.config.meta.get('publish_versions') -%}
        {%- do statements.append(published_table_ddl(node, published_relation(node))) -%}
        {%- do statements.extend(published_grants(node, published_relation(node))) -%}
    {%- endfor -%}
    {{ return(statements) }}
{%- endmacro %}


{# A mart's published table. #}
{% macro published_relation(node) -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias, type='table'
    )) }}
{%- endmacro %}


{#
    The publication log, in the audit schema: when each mart was last published, and the
    checksum of the code it was published with.
#}
{% macro publication_log() -%}
    {%- set relation = api.Relation.create(
        database=target.database, schema=target.schema ~ '_audit', identifier='publication_log'
    ) -%}
    {%- do ensure_schema(relation) -%}
    {%- do run_query('create table if not exists ' ~ relation
        ~ ' (mart varchar(64), code_version varchar(32), published_at timestamp)') -%}
    {{ return(relation) }}
{%- endmacro %}


{% macro publication_statements(node, compiled_sql) -%}
    {%- set public = published_relation(node) -%}
    {%- set audit = audit_relation(public) -%}
    {%- set existing = adapter.get_relation(
        database=public.database, schema=public.schema, identifier=public.identifier
    ) -%}
    {%- set columns = node.columns.values() | map(attribute='name') | list -%}
    {%- set versioned = node.config.meta.get('publish_versions') -%}
    {%- set statements = [] -%}
    {%- if versioned -%}
        {%- do statements.extend(version_statements(node, compiled_sql, versioned)) -%}
        {%- if existing is not none -%}
            {%- do statements.append('drop ' ~ existing.type ~ ' ' ~ existing) -%}
        {%- endif -%}
        {%- do statements.append(published_view_ddl(public, versioned_sql(
            compiled_sql, published_versions(), "published.mart = '" ~ node.name ~ "'")))
        -%}
    {%- else -%}
        {%- set staged = public.incorporate(path={'identifier': public.identifier ~ '__publishing'}) -%}
        {%- do statements.extend([
            'drop table if exists ' ~ staged,
            published_table_ddl(node, staged),
            'insert into ' ~ staged ~ ' (' ~ columns | join(', ') ~ ')\nselect '
                ~ columns | join(', ') ~ '\nfrom ' ~ audit,
        ]) -%}
        {%- if existing is not none -%}
            {%- do statements.append('drop ' ~ existing.type ~ ' ' ~ existing) -%}
        {%- endif -%}
        {%- do statements.append('alter table ' ~ staged ~ ' rename to ' ~ public.identifier) -%}
    {%- endif -%}
    {%- do statements.extend(published_grants(node, public)) -%}
    {{ return(statements) }}
{%- endmacro %}


{#
    A mart published by version (meta publish_versions, fct_transactions): its rows are not
    copied. The store it reads (int_transaction_validations) keeps each partition's
    published version next to the current one, and the published mart is a view pinned to
    the versions recorded in published_versions. Publishing records the current versions,
    then removes from the store the versions nothing shows any more.
#}
{% macro version_statements(node, compiled_sql, versioned) -%}
    {%- set published = published_versions() -%}
    {%- set versions = _model_relation(versioned.versions) -%}
    {%- set store = _model_relation(versioned.store) -%}
    {#- The store holds, per partition, the version published last and the current one
        (delete_unpublished removes any other before a partition is validated again): the
        versions to remove are those published last that are no longer current. Found
        from the two small tables, not by scanning the store. -#}
    {%- set stale -%}
        select published.partition_year, published.partition_month, published.validated_at
        from {{ published }} as published
        left join {{ versions }} as current_version
            using (partition_year, partition_month, validated_at)
        where published.mart = '{{ node.name }}' and current_version.validated_at is null
    {%- endset -%}
    {%- set statements = [] -%}
    {%- for year, month, version in run_query(stale).rows -%}
        {%- do statements.append('delete from ' ~ store ~ ' where partition_year = ' ~ year
            ~ ' and partition_month = ' ~ month
            ~ " and validated_at = cast('" ~ version ~ "' as timestamp)") -%}
    {%- endfor -%}
    {%- do statements.extend([
        "delete from " ~ published ~ " where mart = '" ~ node.name ~ "'",
        "insert into " ~ published
            ~ " (mart, partition_year, partition_month, month_start_date, validated_at)"
            ~ "\nselect '" ~ node.name ~ "', partition_year, partition_month, month_start_date,"
            ~ " validated_at\nfrom " ~ versions,
    ]) -%}
    {{ return(statements) }}
{%- endmacro %}


{#
    A mart's SQL restricted to the rows of given versions: those of `versions` (a relation
    with month_start_date and validated_at), optionally where `condition` holds on it.
#}
{% macro versioned_sql(sql, versions, condition=none) -%}
select model.*
from (
{{ sql }}
) as model
inner join {{ versions }} as published
    on model.month_start_date = published.month_start_date
    and model.validated_at = published.validated_at
{%- if condition %}
    and {{ condition }}
{%- endif %}
{%- endmacro %}


{# The versions each version-published mart shows, in the audit schema. #}
{% macro published_versions() -%}
    {%- set relation = api.Relation.create(
        database=target.database, schema=target.schema ~ '_audit', identifier='published_versions'
    ) -%}
    {%- do adapter.create_schema(relation) -%}
    {%- do run_query('create table if not exists ' ~ relation ~ ' (mart varchar(64),'
        ~ ' partition_year integer, partition_month integer, month_start_date date,'
        ~ ' validated_at timestamp)') -%}
    {{ return(relation) }}
{%- endmacro %}


{% macro _model_relation(name) -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ name] -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias
    )) }}
{%- endmacro %}


{% macro published_view_ddl(relation, sql) -%}
    {{ return(adapter.dispatch('published_view_ddl', 'lending_research')(relation, sql)) }}
{%- endmacro %}

{% macro default__published_view_ddl(relation, sql) -%}
create view {{ relation }} as
{{ sql }}
{%- endmacro %}

{# Late-binding: the store it reads may be rebuilt without taking the view with it. #}
{% macro redshift__published_view_ddl(relation, sql) -%}
create view {{ relation }} as
{{ sql }}
with no schema binding
{%- endmacro %}


{#
    The published table, created from the contract: the declared types and not-null
    constraints hold in the table analysts query, not only in the audit view.
#}
{% macro published_table_ddl(node, relation) -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set not_null = column.constraints | selectattr('type', 'equalto', 'not_null')
            | list | length > 0 -%}
        {%- do columns.append(column.name ~ ' ' ~ column.data_type
            ~ (' not null' if not_null else '')) -%}
    {%- endfor -%}
    create table {{ relation }} (
    {{ columns | join(',\n    ') }}
){{ published_table_options(node) }}
{%- endmacro %}


{% macro published_table_options(node) -%}
    {{ return(adapter.dispatch('published_table_options', 'lending_research')(node)) }}
{%- endmacro %}

{% macro default__published_table_options(node) -%}
{%- endmacro %}

{# Redshift: the dist and sort keys the mart's config asks for (dbt_project.yml). #}
{% macro redshift__published_table_options(node) -%}
    {%- set dist = node.config.get('dist') -%}
    {%- set sort = node.config.get('sort') -%}
    {%- if dist in ('all', 'even', 'auto') %}
diststyle {{ dist }}
    {%- elif dist %}
diststyle key distkey({{ dist }})
    {%- endif -%}
    {%- if sort %}
compound sortkey({{ (sort if sort is not string else [sort]) | join(', ') }})
    {%- endif -%}
{%- endmacro %}


{% macro published_grants(node, relation) -%}
    {{ return(adapter.dispatch('published_grants', 'lending_research')(node, relation)) }}
{%- endmacro %}

{# Privileges are Redshift's concern here (dbt_project.yml grants the analysts' role). #}
{% macro default__published_grants(node, relation) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro redshift__published_grants(node, relation) -%}
    {%- set statements = [] -%}
    {%- for privilege, grantees in (node.config.grants or {}).items() -%}
        {%- do statements.append(get_grant_sql(relation, privilege, grantees)) -%}
    {%- endfor -%}
    {{ return(statements) }}
{%- endmacro %}

