{#
    Borrower identifiers in the analysts' marts are pseudonyms: a keyed hash of the bank's
    id (keyed_hash), so analysts can count, join and follow a borrower without learning
    who it is, and no one can recompute the pseudonym of a known id without the key.

    The key comes from the environment, LENDING_PSEUDONYMISATION_KEY (256 random bits:
    `openssl rand -hex 32`; in production from the secret store, SECURITY.md). Every
    target but DuckDB refuses to build without one; DuckDB falls back to a fixed
    development key, which protects nothing and is only for synthetic data.

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


{#-
    The key, checked: never echoed in an error. It must carry at least 256 bits (64 hex
    digits, or 43 characters of base64), drawn at random: a key of few distinct characters
    ('a' repeated) is refused. DuckDB, the analysts' local warehouse of synthetic data, may
    fall back to the development key; every other target (PostgreSQL, Redshift) refuses to
    build without a real one.
-#}
{% macro pseudonymisation_key() -%}
    {%- set development_key = 'development-only-key-it-protects-nothing' -%}
    {%- set key = env_var('LENDING_PSEUDONYMISATION_KEY', '') -%}
    {%- set local = target.type == 'duckdb' -%}
    {%- if not key and local -%}
        {{ return(development_key) }}
    {%- elif not key -%}
        {%- do exceptions.raise_compiler_error(
            'LENDING_PSEUDONYMISATION_KEY is not set: the ' ~ target.name ~ ' target ('
            ~ target.type ~ ') pseudonymises borrower identifiers with it and never builds'
            ~ ' without it. Set it from the secret store (SECURITY.md, "Borrower data");'
            ~ ' `lending-pg build` makes one of its own for a local PostgreSQL.'
        ) -%}
    {%- elif key == development_key -%}
        {%- if not local -%}
            {%- do exceptions.raise_compiler_error(
                'LENDING_PSEUDONYMISATION_KEY is the development key, which protects nothing:'
                ~ ' the ' ~ target.name ~ ' target needs a secret one.'
            ) -%}
        {%- endif -%}
        {{ return(key) }}
    {%- endif -%}
    {%- set bits_per_character = 4 if modules.re.fullmatch('[0-9a-fA-F]+', key)
        else 6 if modules.re.fullmatch('[A-Za-z0-9+/_-]+={0,2}', key) else 0 -%}
    {%- set bits = bits_per_character * (key | replace('=', '') | length) -%}
    {%- set distinct = key | list | unique | list | length -%}
    {%- if not bits_per_character or bits < 256 or key | length > 256 or distinct < 10 -%}
        {%- do exceptions.raise_compiler_error(
            'LENDING_PSEUDONYMISATION_KEY must be 256 bits or more drawn at random, written as'
            ~ ' 64 or more hex digits (`openssl rand -hex 32`) or 43 or more base64 characters'
            ~ ' (`openssl rand -base64 32`), at most 256 characters; the value set is not'
            ~ ' (not shown).'
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
    {{ return([
        'int_borrowers_pseudonymised', 'int_loans_pseudonymised', 'int_transactions_pseudonymised'
    ]) }}
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
