{#
    The SQL `dbt run-operation stage_external_sources` runs, compiled with the project so
    `make test` checks it as Redshift SQL like the models (`lending-redshift-check`).
    Empty on DuckDB. Only rendered when executing: the statements need the Spectrum role.
#}
{% if execute %}
{{ external_source_statements('bank') | join(';\n\n') }}
{% endif %}
