{#
    Creates the external (Spectrum) schema and tables a source reads on Redshift and
    registers their partitions, all from the source's own definition in
    models/staging/bank/_bank__sources.yml: the schema, each column's data_type, the
    partition columns (meta.partition_types) and the S3 prefix (meta.lake_location).
    dbt-external-tables does this for dbt hub users; the hub is not reachable here.

        dbt run-operation stage_external_sources --target prod
        dbt run-operation stage_external_sources --target prod --args '{dry_run: true}'
        dbt run-operation stage_external_sources --target prod \
            --args '{partitions_only: true, first_month: "2024-09"}'

    Idempotent. By default it creates the schema if missing, drops and recreates each
    table (so a column changed in the YAML takes effect; the late-binding staging views
    bind again on their next query) and registers every partition of each table from
    its meta.lake_first_month (the table's own, else the source's) to the current month.
    With partitions_only it only adds the partitions still missing in the given months
    (never before a table's own first month): the cheap call after new data lands.
    On DuckDB it does nothing: dbt-duckdb reads the Parquet in place.
#}
{% macro stage_external_sources(
    source_name='bank', first_month=none, last_month=none, partitions_only=false,
    dry_run=false
) %}
    {% set statements = external_source_statements(
        source_name, first_month, last_month, partitions_only
    ) %}
    {% if not statements %}
        {{ log('stage_external_sources: nothing to do on ' ~ target.type
            ~ '; only Redshift reads the sources through external tables', info=true) }}
    {% endif %}
    {% for statement in statements %}
        {% if dry_run %}
            {{ log(statement ~ ';', info=true) }}
        {% else %}
            {{ log('stage_external_sources: ' ~ statement.split('\n')[0] ~ ' ...', info=true) }}
            {#- External DDL cannot run inside a transaction: dbt-redshift autocommits. -#}
            {% do run_query(statement) %}
        {% endif %}
    {% endfor %}
{% endmacro %}


{#
    The statements stage_external_sources runs, in order, as a list of strings (no
    trailing semicolons). Compiled offline by analyses/stage_external_sources.sql so the
    Redshift check parses them like the models.
#}
{% macro external_source_statements(
    source_name='bank', first_month=none, last_month=none, partitions_only=false
) %}
    {{ return(adapter.dispatch('external_source_statements', 'lending_research')(
        source_name, first_month, last_month, partitions_only
    )) }}
{% endmacro %}


{% macro default__external_source_statements(
    source_name, first_month, last_month, partitions_only
) %}
    {{ return([]) }}
{% endmacro %}


{% macro redshift__external_source_statements(
    source_name, first_month, last_month, partitions_only
) %}
    {#- The schema, catalog database, S3 prefix and role come from the environment. -#}
    {% do check_environment() %}
    {% set tables = _external_source_tables(source_name) %}
    {% set first = tables[0] %}
    {% set schema = adapter.quote(first.schema) %}
    {% set meta = first.config.meta %}
    {% set statements = [] %}

    {% if not partitions_only %}
        {#-
            Always the role's ARN, never `iam_role default`: a warehouse's default role is
            usable by every one of its users. check_environment() refuses 'default'.
        -#}
        {% set role = env_var('REDSHIFT_SPECTRUM_ROLE_ARN') %}
        {% do statements.append(
            'create external schema if not exists ' ~ schema
            ~ '\nfrom data catalog'
            ~ '\ndatabase ' ~ _sql_string(_required_meta(first, 'lake_catalog_database'))
            ~ '\niam_role ' ~ _sql_string(role)
            ~ '\ncreate external database if not exists'
        ) %}
    {% endif %}

    {% for table in tables %}
        {#- Each table from its own first month (the loans' opening book starts decades
            before the transactions), or from `first_month` when that is later. -#}
        {% set own_first = _required_meta(table, 'lake_first_month') %}
        {% set months = _lake_months(
            [first_month, own_first] | max if first_month else own_first,
            last_month or run_started_at.strftime('%Y-%m')
        ) %}
        {% set relation = schema ~ '.' ~ adapter.quote(table.identifier) %}
        {% set location = _required_meta(table, 'lake_location').rstrip('/') ~ '/'
            ~ table.identifier ~ '/' %}
        {% set partition_types = table.config.meta.get('partition_types', {}) %}

        {% set columns = [] %}
        {% for column in table.columns.values() if column.name not in partition_types %}
            {% if not column.data_type %}
                {% do exceptions.raise_compiler_error(
                    'source ' ~ source_name ~ '.' ~ table.name ~ ', column ' ~ column.name
                    ~ ': no data_type, which the external table needs'
                ) %}
            {% endif %}
            {% do columns.append(adapter.quote(column.name) ~ ' ' ~ column.data_type) %}
        {% endfor %}
        {% set partition_columns = [] %}
        {% for name, data_type in partition_types.items() %}
            {% do partition_columns.append(adapter.quote(name) ~ ' ' ~ data_type) %}
        {% endfor %}

        {#-
            Spectrum reads a string longer than its column's varchar(n) as NULL by default
            (surplus_char_handling SET_TO_NULL): the quarantine would then show NULL where
            the bank sent a value, and a NULL code reads as "missing", not "too long". FAIL
            cancels the query instead: the build stops on the delivery, naming the table,
            and nothing is published from altered values. Chosen over wide columns plus a
            length rule because the declared lengths are the delivery's contract (the
            sources YAML): an over-long value is a broken delivery to have re-sent, like a
            retyped column, not a row to quarantine.
        -#}
        {% if not partitions_only %}
            {% do statements.append('drop table if exists ' ~ relation) %}
            {% do statements.append(
                'create external table ' ~ relation ~ ' (\n    '
                ~ columns | join(',\n    ') ~ '\n)'
                ~ ('\npartitioned by (' ~ partition_columns | join(', ') ~ ')'
                    if partition_columns else '')
                ~ '\nstored as parquet'
                ~ '\nlocation ' ~ _sql_string(location)
                ~ "\ntable properties ('surplus_char_handling'='FAIL')"
            ) %}
        {% endif %}

        {% set partitions = _lake_partitions(table, partition_types, months, location) %}
        {#- Redshift takes at most 100 partitions per ALTER TABLE. -#}
        {% for batch in partitions | batch(100) %}
            {% do statements.append(
                'alter table ' ~ relation ~ ' add if not exists\n' ~ batch | join('\n')
            ) %}
        {% endfor %}
    {% endfor %}
    {{ return(statements) }}
{% endmacro %}


{#- The source's tables, in the order they are declared. -#}
{% macro _external_source_tables(source_name) %}
    {% set tables = [] %}
    {% for node in graph.sources.values() if node.source_name == source_name %}
        {% do tables.append(node) %}
    {% endfor %}
    {% if not tables %}
        {% do exceptions.raise_compiler_error('no source named ' ~ source_name) %}
    {% endif %}
    {{ return(tables) }}
{% endmacro %}


{#-
    One PARTITION ... LOCATION clause per calendar period in `months`, in the generator's
    folder layout: year=YYYY for yearly tables, year=YYYY/month=MM for monthly ones.
-#}
{% macro _lake_partitions(table, partition_types, months, location) %}
    {% set keys = partition_types.keys() | list %}
    {% set clauses = [] %}
    {% if keys == ['year'] %}
        {% for year in months | map(attribute=0) | unique %}
            {% do clauses.append(
                'partition (year=' ~ year ~ ') location '
                ~ _sql_string(location ~ 'year=' ~ year ~ '/')
            ) %}
        {% endfor %}
    {% elif keys == ['year', 'month'] %}
        {% for year, month in months %}
            {% set folder = 'year=' ~ year ~ '/month=' ~ '%02d' | format(month) ~ '/' %}
            {% do clauses.append(
                'partition (year=' ~ year ~ ', month=' ~ month ~ ') location '
                ~ _sql_string(location ~ folder)
            ) %}
        {% endfor %}
    {% elif keys %}
        {% do exceptions.raise_compiler_error(
            'source table ' ~ table.source_name ~ '.' ~ table.name
            ~ ': partitions must be [year] or [year, month], not ' ~ keys
        ) %}
    {% endif %}
    {{ return(clauses) }}
{% endmacro %}


{#- (year, month) pairs from one 'YYYY-MM' to another, inclusive. -#}
{% macro _lake_months(first_month, last_month) %}
    {% set pattern = modules.re.compile('^[0-9]{4}-[0-9]{2}$') %}
    {% for value in [first_month, last_month] %}
        {% if not pattern.match(value | string) %}
            {% do exceptions.raise_compiler_error(
                'months are written YYYY-MM, got ' ~ value
            ) %}
        {% endif %}
    {% endfor %}
    {% set first = first_month.split('-') | map('int') | list %}
    {% set last = last_month.split('-') | map('int') | list %}
    {% set months = [] %}
    {% for index in range(first[0] * 12 + first[1] - 1, last[0] * 12 + last[1]) %}
        {% do months.append((index // 12, index % 12 + 1)) %}
    {% endfor %}
    {% if not months %}
        {% do exceptions.raise_compiler_error(
            'first_month ' ~ first_month ~ ' is after last_month ' ~ last_month
        ) %}
    {% endif %}
    {{ return(months) }}
{% endmacro %}


{% macro _required_meta(table, key) %}
    {% set value = table.config.meta.get(key) %}
    {% if not value %}
        {% do exceptions.raise_compiler_error(
            'source ' ~ table.source_name ~ '.' ~ table.name ~ ' has no meta.' ~ key
        ) %}
    {% endif %}
    {{ return(value | string) }}
{% endmacro %}


{% macro _sql_string(value) %}
    {{ return("'" ~ (value | string).replace("'", "''") ~ "'") }}
{% endmacro %}
