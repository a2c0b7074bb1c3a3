{#
    The publish step of write-audit-publish, run by on-run-end after `dbt build`.

    Publishes only when the build built and passed everything: no model, test, unit test
    or contract failed, errored or was skipped, and every mart was built in this run (a
    partial selection such as `dbt build -s fct_country_monthly` publishes nothing, since
    its upstream was not audited). Then, in one transaction, every mart's audit view is
    copied to its published table: analysts see all of this build or none of it.

    A mart with meta `publish_partition_by` (fct_transactions) is copied partition by
    partition: only the partitions whose `publish_version_column` differs between the
    audit view and the published table are replaced, so an incremental month publishes one
    month. The others are small and replaced whole.
#}
{% macro publish_marts(results) %}
    {%- if not execute or flags.WHICH != 'build' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set marts = published_nodes() -%}
    {%- set blocking = [] -%}
    {%- set built = [] -%}
    {%- for result in results -%}
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
    {%- set published_code = {} -%}
    {%- for row in run_query('select mart, code_version from ' ~ published_log).rows -%}
        {%- do published_code.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- set published = [] -%}
    {%- for node in marts -%}
        {#- A new pseudonymisation key changes every pseudonym: publish the whole mart. -#}
        {%- set version = namespace(code=code_checksum([node.name])) -%}
        {%- for column in node.columns.values() if column.meta.get('pseudonymised') -%}
            {%- if loop.first -%}
                {%- set version.code = local_md5(version.code ~ pseudonymisation_key_version()) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set code_version = version.code -%}
        {%- set node_statements = publication_statements(
            node, same_code=published_code.get(node.name) == code_version
        ) -%}
        {%- if node_statements -%}
            {%- do statements.extend(node_statements) -%}
            {%- do statements.append(
                "delete from " ~ published_log ~ " where mart = '" ~ node.name ~ "'") -%}
            {%- do statements.append("insert into " ~ published_log ~ " (mart, code_version, published_at)"
                ~ " values ('" ~ node.name ~ "', '" ~ code_version ~ "', "
                ~ "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp))") -%}
            {%- do published.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- One transaction: the first statement opens it (dbt begins one on demand), the
        commit ends it, and any error before the commit leaves every published table as
        it was. -#}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {{ log('Published ' ~ published | length ~ ' of ' ~ marts | length ~ ' marts to schema '
        ~ _mart_schemas(marts) | join(' and ')
        ~ (': ' ~ published | join(', ') if published else ' (none changed)'), info=true) }}
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


{# Every mart's create table and grants, as publish_marts would run them on a first build. #}
{% macro published_tables_ddl() -%}
    {%- set statements = [] -%}
    {%- for node in published_nodes() -%}
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
    The publication log, in the audit schema: which code each mart was last published
    with, and when. A mart published month by month is copied whole when its code changed.
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


{% macro publication_statements(node, same_code=false) -%}
    {%- set public = published_relation(node) -%}
    {%- set audit = audit_relation(public) -%}
    {%- set existing = adapter.get_relation(
        database=public.database, schema=public.schema, identifier=public.identifier
    ) -%}
    {%- set columns = node.columns.values() | map(attribute='name') | list -%}
    {%- set partition_by = node.config.meta.get('publish_partition_by') -%}

    {%- if partition_by and same_code and existing is not none
        and _column_names(existing) == _column_names(audit) -%}
        {%- set changed = _changed_partitions(
            audit, public, partition_by, node.config.meta['publish_version_column']
        ) -%}
        {%- if not changed -%}
            {{ return([]) }}
        {%- endif -%}
        {%- set in_changed = partition_by ~ " in ('" ~ changed | join("', '") ~ "')" -%}
        {{ return([
            'delete from ' ~ public ~ ' where ' ~ in_changed,
            'insert into ' ~ public ~ ' (' ~ columns | join(', ') ~ ')\nselect '
                ~ columns | join(', ') ~ '\nfrom ' ~ audit ~ '\nwhere ' ~ in_changed,
        ]) }}
    {%- endif -%}

    {%- set staged = public.incorporate(path={'identifier': public.identifier ~ '__publishing'}) -%}
    {%- set statements = [
        'drop table if exists ' ~ staged,
        published_table_ddl(node, staged),
        'insert into ' ~ staged ~ ' (' ~ columns | join(', ') ~ ')\nselect '
            ~ columns | join(', ') ~ '\nfrom ' ~ audit,
    ] -%}
    {%- if existing is not none -%}
        {%- do statements.append('drop ' ~ existing.type ~ ' ' ~ existing) -%}
    {%- endif -%}
    {%- do statements.append('alter table ' ~ staged ~ ' rename to ' ~ public.identifier) -%}
    {%- do statements.extend(published_grants(node, public)) -%}
    {{ return(statements) }}
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


{% macro _column_names(relation) -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list) }}
{%- endmacro %}


{# The partitions whose version differs between the audit view and the published table. #}
{% macro _changed_partitions(audit, public, partition_by, version_column) -%}
    {%- set query -%}
        select coalesce(audited.partition_key, published.partition_key)
        from (
            select {{ partition_by }} as partition_key, max({{ version_column }}) as version
            from {{ audit }}
            group by {{ partition_by }}
        ) as audited
        full outer join (
            select {{ partition_by }} as partition_key, max({{ version_column }}) as version
            from {{ public }}
            group by {{ partition_by }}
        ) as published
            on audited.partition_key = published.partition_key
        where
            audited.version is null
            or published.version is null
            or audited.version != published.version
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | map('string') | list) }}
{%- endmacro %}
