"""Incremental builds equal a full refresh when reference data and code change: redefined
reference data, the currency corrected again, changed code and rules (incremental_chain.py
says how the chains run)."""

from __future__ import annotations

import pytest
from incremental_chain import (
    change_the_code,
    check_full_refresh,
    check_rebuilt_partitions,
    correct_the_currency,
    redefine_reference_data,
    run_chain,
)

# The currency is corrected after the reference data made it wrong.
STEPS = {
    "redefined reference data": redefine_reference_data,
    "a corrected currency": correct_the_currency,
    "changed code and rules": change_the_code,
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
