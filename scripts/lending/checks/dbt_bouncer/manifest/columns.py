"""Columns documented where dbt-bouncer has no check: models list theirs; seeds' and
sources' columns are described. dbt-bouncer.yml enables each check by its function's name
under manifest_checks."""

from typing import Any

from dbt_bouncer.check_framework.decorator import check, fail


def _undescribed(node: Any) -> list[str]:
    return sorted(
        name
        for name, column in (node.columns or {}).items()
        if not (column.description or "").strip()
    )


@check
def check_model_documents_columns(model: Any) -> None:
    """A model lists its columns in its YAML (catalog checks compare them to the warehouse)."""
    if not model.columns:
        fail(f"`{model.name}` documents no columns: list them, each with a description.")


@check
def check_seed_column_description_populated(seed: Any) -> None:
    """Every column a seed's YAML lists has a description."""
    if missing := _undescribed(seed):
        fail(f"`{seed.name}` has columns without a description: {missing}")


@check
def check_source_column_description_populated(source: Any) -> None:
    """Every column a source table's YAML lists has a description."""
    if missing := _undescribed(source):
        fail(f"`{source.source_name}.{source.name}` has columns without a description: {missing}")
