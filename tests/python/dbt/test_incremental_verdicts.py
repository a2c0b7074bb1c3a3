"""Incremental builds equal a full refresh when a delivery changes the verdict on rows of
other months: verdicts moved across months, a withdrawn month, a revised loans file; and
when only a metric's macro changes (incremental_chain.py says how the chains run)."""

from __future__ import annotations

import pytest
from incremental_chain import (
    change_a_metric_macro,
    check_full_refresh,
    check_rebuilt_partitions,
    move_verdicts_across_months,
    revise_the_loans_file,
    run_chain,
    withdraw_a_month,
)

STEPS = {
    "verdicts moved across months": move_verdicts_across_months,
    "a withdrawn month": withdraw_a_month,
    "a revised loans file": revise_the_loans_file,
    "a changed metric macro": change_a_metric_macro,
}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    return run_chain(tmp_path_factory, dbt_env, STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("step", list(STEPS))
def test_each_change_gives_what_a_full_refresh_gives(chain: dict, step: str) -> None:
    check_full_refresh(chain, step)


@pytest.mark.slow
@pytest.mark.parametrize("step", list(STEPS))
def test_each_change_rebuilds_only_the_partitions_it_touches(chain: dict, step: str) -> None:
    check_rebuilt_partitions(chain, step)
