{#
    The tables publish_marts creates for the marts, with their engine's options and
    grants, compiled with the project so `make test` checks them as Redshift SQL like the
    models (`lending-redshift-check`). The statements that copy the rows need the
    warehouse to say which partitions changed, so only the DDL is here.
#}
{% if execute %}
{{ published_tables_ddl() | join(';\n\n') }}
{% endif %}
