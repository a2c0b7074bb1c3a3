{#
    Borrower identifiers in the analysts' marts are pseudonyms: a keyed hash of the bank's
    id (keyed_hash), so analysts can count, join and follow a borrower without learning
    who it is, and no one can recompute the pseudonym of a known id without the key.

    The key comes from the environment, LENDING_PSEUDONYMISATION_KEY (at least 32
    characters: `openssl rand -hex 32`; in production from the secret store, SECURITY.md).
    The prod target refuses to build without one; other targets use a fixed development
    key, which protects nothing and is only for synthetic data.

    The key never appears in SQL text: compiled models, the manifest, run_results.json and
    the docs site would all carry it. The first on-run-start hooks write it, as a bound
    parameter, into a one-row table in <target schema>_private, which only the building
    identity can read (no role is granted that schema), and the pseudonym models
    (models/intermediate/pseudonymisation/) read it from there: each identifier is hashed
    once, when first delivered, and stored, so no query of a mart computes a hash.
#}

{% macro pseudonymisation_key_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema=target.schema ~ '_private',
        identifier='pseudonymisation_key', type='table'
    )) }}
{%- endmacro %}


{#- The key, checked: never echoed in an error. -#}
{% macro pseudonymisation_key() -%}
    {%- set development_key = 'development-only-key-it-protects-nothing' -%}
    {%- set key = env_var('LENDING_PSEUDONYMISATION_KEY', '') -%}
    {%- if not key and target.name == 'prod' -%}
        {%- do exceptions.raise_compiler_error(
            'LENDING_PSEUDONYMISATION_KEY is not set: the prod target pseudonymises borrower'
            ~ ' identifiers with it and never builds without it. Set it from the secret'
            ~ ' store (SECURITY.md, "Borrower data").'
        ) -%}
    {%- elif not key -%}
        {{ return(development_key) }}
    {%- elif not modules.re.fullmatch('[A-Za-z0-9+/=_-]{32,256}', key) -%}
        {%- do exceptions.raise_compiler_error(
            'LENDING_PSEUDONYMISATION_KEY must be 32 to 256 characters of A-Z a-z 0-9 + / = _ -'
            ~ ' (for example `openssl rand -hex 32`); the value set is not (not shown).'
        ) -%}
    {%- elif key == development_key and target.name == 'prod' -%}
        {%- do exceptions.raise_compiler_error(
            'LENDING_PSEUDONYMISATION_KEY is the development key, which protects nothing:'
            ~ ' the prod target needs the secret one.'
        ) -%}
    {%- endif -%}
    {{ return(key) }}
{%- endmacro %}


{#-
    SQL for the version of the pseudonyms: the keyed hash of the pseudonym models' code
    checksum, computed in the warehouse from the key table (so neither the key nor a
    fingerprint of it is ever SQL text). The pseudonym tables store it with each pseudonym,
    and the partition fingerprint carries it: a new key, or a change to how pseudonyms are
    computed, hashes every identifier again and validates every partition again.
-#}
{% macro pseudonym_version() -%}
    {%- set code = code_checksum(pseudonym_models()) -%}
    (
        select {{ keyed_hash("'pseudonyms of code " ~ code ~ "'", 'pseudonymisation_key') }}
        from {{ pseudonymisation_key_relation() }}
    )
{%- endmacro %}


{#- The models that store pseudonyms (models/intermediate/pseudonymisation/). -#}
{% macro pseudonym_models() -%}
    {{ return(['int_borrowers_pseudonymised']) }}
{%- endmacro %}


{#
    on-run-start: the key into its table, replacing any other, in one transaction. The
    value travels as a bound parameter, so dbt's logs show only the placeholder.
#}
{% macro store_pseudonymisation_key() -%}
    {#- Only for the commands that build (dbt compiles the hooks for compile and docs too). -#}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'test', 'seed', 'snapshot', 'retry') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set key = pseudonymisation_key() -%}
    {%- set relation = pseudonymisation_key_relation() -%}
    {%- do ensure_schema(relation) -%}
    {%- do run_query(
        'create table if not exists ' ~ relation ~ ' (pseudonymisation_key varchar(256) not null)'
    ) -%}
    {%- do run_query('delete from ' ~ relation) -%}
    {%- do adapter.add_query(
        'insert into ' ~ relation ~ ' (pseudonymisation_key) values ('
        ~ bind_parameter_placeholder() ~ ')',
        bindings=[key]
    ) -%}
    {%- do adapter.commit() -%}
    {{ return('') }}
{%- endmacro %}


{#- How the driver marks a bound parameter: DuckDB's ?, psycopg2's and redshift_connector's %s. -#}
{% macro bind_parameter_placeholder() -%}
    {{ return(adapter.dispatch('bind_parameter_placeholder', 'lending_research')()) }}
{%- endmacro %}

{% macro default__bind_parameter_placeholder() -%}
    {{ return('%s') }}
{%- endmacro %}

{% macro duckdb__bind_parameter_placeholder() -%}
    {{ return('?') }}
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
