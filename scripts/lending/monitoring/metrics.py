"""The run metrics' names: the contract between the pipeline that publishes them and the
CloudWatch alarms and dashboard that read them (infra/terraform). Change a name here and
the Terraform consistency test fails until the alarms follow.

Every metric is in one namespace and carries the `Environment` dimension (dev, prod);
some carry one more, named below.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "LendingResearch/Pipeline"
ENVIRONMENT_DIMENSION = "Environment"


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # a CloudWatch unit
    dimensions: tuple[str, ...]  # beyond Environment
    description: str


METRICS = (
    Metric("BuildSucceeded", "Count", (), "1 when the build passed and published, else 0"),
    Metric("BuildDurationSeconds", "Seconds", (), "wall time of the dbt build"),
    Metric("ModelsBuilt", "Count", (), "models dbt built successfully"),
    Metric("TestsPassed", "Count", (), "data and unit tests that passed"),
    Metric("TestsWarned", "Count", (), "tests that warned (warn severity)"),
    Metric("TestsFailed", "Count", (), "tests that failed or errored"),
    Metric(
        "RejectedShare",
        "None",
        ("Source",),
        "highest monthly share of a source's rows rejected in the build (0 to 1)",
    ),
    Metric("MartRows", "Count", ("Mart",), "rows in each public mart after the build"),
    Metric("StaleSourceCount", "Count", (), "sources whose freshness check is in error"),
)
METRIC_NAMES = tuple(metric.name for metric in METRICS)
# Values of the Source dimension: the bank source's tables.
SOURCES = ("transactions", "economic_indicators", "demographics", "loans")
