{#
    Borrower identifiers in the analysts' marts are pseudonyms (pseudonym()), so analysts
    can count, join and follow a borrower without learning who it is, and nobody can
    compute the pseudonym of a known id without the key.

    The key never reaches the warehouse's tables, SQL text, logs or dbt's artifacts. On
    DuckDB and PostgreSQL the build process hands the session the key's padded forms
    (lending.pseudonyms reads LENDING_PSEUDONYMISATION_KEY and checks it); on Redshift a
    Lambda function holds the key and dbt never sees it. check_pseudonym_session, the
    first hook of a build, stops it before any model if the session cannot pseudonymise.
#}

{#- Redshift's pseudonym function, `<schema>.<function>`: production's or slim CI's, each
    with a key of its own (infra/terraform/pseudonymiser.tf). -#}
{% macro pseudonym_function() -%}
    {%- do check_environment() -%}
    {%- set name = env_var('REDSHIFT_PSEUDONYM_FUNCTION', '') -%}
    {#- Parsing runs no SQL: only what is compiled to run needs the function. -#}
    {%- if not name and execute -%}
        {%- do exceptions.raise_compiler_error(
            'REDSHIFT_PSEUDONYM_FUNCTION is not set: it names the Lambda function that'
            ~ ' pseudonymises borrower identifiers on Redshift, as <schema>.<function>'
            ~ ' (pseudonymisation.pseudonym_production in the pipeline,'
            ~ ' pseudonymisation.pseudonym_ci in slim CI: infra/terraform/outputs.tf), and'
            ~ ' Redshift never builds without it.'
        ) -%}
    {%- endif -%}
    {{ return(name) }}
{%- endmacro %}


{#
    on-run-start: whether this session can compute pseudonyms, checked before any model
    runs, with what to do when it cannot. Only for the commands that build.
#}
{% macro check_pseudonym_session() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'test', 'seed', 'snapshot', 'retry') -%}
        {{ return('') }}
    {%- endif -%}
    {#- Builds before issue 25 kept the key in a table of this schema: gone with the first
        build since (snapshots and backups of that time still hold it: SECURITY.md). -#}
    {%- do adapter.drop_schema(api.Relation.create(
        database=target.database, schema=target.schema ~ '_private'
    )) -%}
    {%- if target.type == 'redshift' -%}
        {#- One call: the function exists, this identity may execute it, the Lambda answers. -#}
        {%- do run_query('select ' ~ pseudonym("'session check'")) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set probe = {
        'duckdb': "select getvariable('lending_pseudonym_inner') is not null"
            ~ " and getvariable('lending_pseudonym_outer') is not null",
        'postgres': "select coalesce(length(current_setting('lending.pseudonym_inner', true)), 0) = 128"
            ~ " and coalesce(length(current_setting('lending.pseudonym_outer', true)), 0) = 128",
    } -%}
    {%- if target.type not in probe -%}
        {%- do exceptions.raise_compiler_error(
            'Pseudonyms are computed on DuckDB, PostgreSQL and Redshift only, not on '
            ~ target.type ~ ' (macros/pseudonymisation/pseudonym.sql).'
        ) -%}
    {%- endif -%}
    {%- if not run_query(probe[target.type]).columns[0].values()[0] -%}
        {%- do exceptions.raise_compiler_error({
            'duckdb': 'This DuckDB session has no pseudonymisation key: the profile needs'
                ~ ' the plugin lending.pseudonyms.dbt_plugin (profiles.yml, target dev).',
            'postgres': 'This PostgreSQL session has no pseudonymisation key: build with'
                ~ ' `lending-pg build` (or `make pg-build`), which hands it the key from'
                ~ ' LENDING_PSEUDONYMISATION_KEY (or a local key of its own) in PGOPTIONS;'
                ~ ' a plain `dbt build --target pg` has none.',
        }[target.type]) -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{#-
    SQL for the version of the pseudonyms: the pseudonym of the pseudonym models' code
    checksum, so neither the key nor a fingerprint of it is ever SQL text. The pseudonym
    tables store it with each pseudonym, and the partition fingerprint carries it: a new
    key, or a change to how pseudonyms are computed, hashes every identifier again and
    validates every partition again.
-#}
{% macro pseudonym_version() -%}
    {{ pseudonym("'version|pseudonyms of code " ~ code_checksum(pseudonym_models()) ~ "'") }}
{%- endmacro %}


{#- The models that store pseudonyms (models/intermediate/pseudonymisation/). -#}
{% macro pseudonym_models() -%}
    {{ return([
        'int_borrowers_pseudonymised', 'int_loans_pseudonymised', 'int_transactions_pseudonymised'
    ]) }}
{%- endmacro %}


{#-
    For the pseudonym tables (models/intermediate/pseudonymisation/): whether `this` holds
    pseudonyms of another version than the build's (pseudonym_version), and the pre-hook
    that deletes them, so that the model hashes those identifiers again.
-#}
{% macro stored_pseudonym_versions_differ() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set query = 'select count(*) from ' ~ this ~ ' where pseudonym_version != '
        ~ pseudonym_version() -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro delete_other_pseudonym_versions() -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where pseudonym_version != {{ pseudonym_version() }}
    {%- endif -%}
{%- endmacro %}
