{# The columns are those the contract lists (_data_quality__models.yml). #}
{{ quarantined_rows(ref('int_transactions_validated'), computed={
    'partition_month_start_date':
        partition_month_start('partition_year', 'partition_month'),
}) }}
