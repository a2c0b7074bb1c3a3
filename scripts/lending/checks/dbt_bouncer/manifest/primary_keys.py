"""A model's primary key is tested: unique and never null.

dbt-bouncer's check_model_has_unique_test asks for a uniqueness test only; a key that is
unique but may be null lets rows with no key through, and joins drop them.
"""

from typing import Any

from dbt_bouncer.check_framework.decorator import check, fail


def _test_name(test: Any) -> str | None:
    metadata = getattr(test, "test_metadata", None)
    return getattr(metadata, "name", None)


@check
def check_model_primary_key_not_null(model: Any, ctx: Any) -> None:
    """The column a model's `unique` test covers is also tested or constrained not null.

    A model keyed by a primary_key test passes (it checks both, tests/generic/); a
    `not_null` constraint counts only when the model's contract is enforced (dbt creates it
    then, and only then)."""
    tests = ctx.tests_by_attached_node.get(model.unique_id, [])
    if any(_test_name(test) == "primary_key" for test in tests):
        return
    unique = {test.column_name for test in tests if _test_name(test) == "unique"}
    not_null = {test.column_name for test in tests if _test_name(test) == "not_null"}
    if model.contract and model.contract.enforced:
        for name, column in (model.columns or {}).items():
            types = {str(getattr(c.type, "value", c.type)) for c in column.constraints or []}
            if "not_null" in types:
                not_null.add(name)
    if unique and not unique & not_null:
        fail(
            f"`{model.name}`: the unique key ({', '.join(sorted(unique))}) may be null; add a "
            "not_null test (or an enforced not_null constraint), or key the model with a "
            "primary_key test."
        )
