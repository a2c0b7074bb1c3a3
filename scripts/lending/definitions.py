"""The project's business definitions for the Python that needs them, taken from the dbt
macros that define them, so a number means the same in a mart, a metric, the summary and
the report. The success rate is written once, in macros/metrics/success_rate.sql.
"""

from __future__ import annotations

from functools import cache

import jinja2

from lending.settings import PROJECT_ROOT

MACROS = PROJECT_ROOT / "macros"


@cache
def _macro(path: str, name: str) -> jinja2.runtime.Macro:
    """A dbt macro that needs nothing of dbt's context, as a plain Jinja macro."""
    template = jinja2.Environment(autoescape=False).from_string((MACROS / path).read_text())
    return getattr(template.module, name)


def success_rate_sql(completed_count: str, settled_count: str) -> str:
    """SQL for the success rate of the given counts (SQL expressions), e.g.
    success_rate_sql("sum(completed_count)", "sum(settled_count)")."""
    return str(_macro("metrics/success_rate.sql", "success_rate")(completed_count, settled_count))
