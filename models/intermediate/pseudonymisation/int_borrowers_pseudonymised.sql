{#- Each borrower id ever delivered, with its pseudonym: see pseudonymised_identifiers. -#}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_other_pseudonym_versions() }}",
) }}
{{ pseudonymised_identifiers('borrower_id', 'borrower') }}
