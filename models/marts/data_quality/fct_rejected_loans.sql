{# The columns are those the contract lists (_data_quality__models.yml). #}
{{ quarantined_rows(ref('int_loans_validated')) }}
