{#
    Every value the environment pastes into SQL, checked against a strict pattern before any
    SQL that holds it is compiled or run. Quoting is no defence here: adapter.quote does not
    escape a double quote, a role name follows GRANT ... TO ROLE bare, and a folder is
    spliced into read_parquet('...'); a hostile value would end the identifier or string and
    append its own SQL. So a value must have the plain form its use needs, or nothing runs.

    Only values set in the environment are checked: the defaults are the project's own code.
    Called by the first on-run-start hook, by source() (so any command that compiles a
    staging model, `dbt parse` included, checks them) and by the run-operations that use
    them (stage_external_sources, create_ci_schemas, drop_ci_schemas).

    Values that never reach SQL (host, port, user, region, DuckDB memory settings: they are
    connection parameters) are not listed; tests/python/dbt/test_environment_checks.py fails
    when a new env_var() is neither here nor on its list of those.
#}
{% macro environment_checks() %}
    {%- set identifier = (
        '[a-z_][a-z0-9_]{0,126}',
        'a plain lowercase identifier (a-z, 0-9 and _, not starting with a digit)'
    ) -%}
    {%- set local_path = (
        '[A-Za-z0-9_./-]{1,1024}',
        'a path of letters, digits and . _ / - only'
    ) -%}
    {{ return({
        'REDSHIFT_DATABASE': identifier,
        'PGDATABASE': identifier,
        'REDSHIFT_SCHEMA': identifier,
        'REDSHIFT_EXTERNAL_SCHEMA': identifier,
        'REDSHIFT_ANALYST_ROLE': identifier,
        'REDSHIFT_ENGINEER_ROLE': identifier,
        'BANK_LAKE_CATALOG_DATABASE': identifier,
        'BANK_LAKE_S3_URI': (
            's3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_.=-]+)+/?',
            'an s3://bucket/prefix URI (a prefix of letters, digits and . _ = - only)'
        ),
        'REDSHIFT_SPECTRUM_ROLE_ARN': (
            'arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}',
            "an IAM role ARN (arn:aws:iam::<account>:role/<name>), never 'default' (a"
            ~ " warehouse's default role is usable by every one of its users)"
        ),
        'REDSHIFT_PSEUDONYM_FUNCTION': (
            '[a-z_][a-z0-9_]{0,126}[.][a-z_][a-z0-9_]{0,126}',
            'a function named <schema>.<function>, each a plain lowercase identifier'
        ),
        'BANK_RAW_DATA_PATH': local_path,
        'DBT_DUCKDB_PATH': local_path,
    }) }}
{% endmacro %}


{% macro check_environment() %}
    {%- for name, (pattern, form) in environment_checks().items() -%}
        {%- set value = env_var(name, '') -%}
        {%- if value and not modules.re.fullmatch(pattern, value) -%}
            {%- do exceptions.raise_compiler_error(
                name ~ ' must be ' ~ form ~ ', not ' ~ tojson(value)
                ~ ': its value is pasted into SQL, so nothing is compiled or run with it.'
                ~ ' Fix the setting (see README, "Environment").'
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
