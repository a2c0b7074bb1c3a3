"""Incremental builds equal a full refresh after new and revised deliveries: a new month,
a re-delivered month, revised and withdrawn rates; and a build with nothing new rebuilds
nothing (incremental_chain.py says how the chains run)."""

from __future__ import annotations

import pytest
from incremental_chain import (
    append_a_month,
    check_full_refresh,
    check_rebuilt_partitions,
    revise_rates_and_population,
    run_chain,
    settle_pending_payments,
)

# The generator's --append-month writes the whole dataset again (unchanged files come out
# byte-identical), so it goes first, before the hand-made revisions it would undo.
STEPS = {
    "a new month": append_a_month,
    "a re-delivered month": settle_pending_payments,
    "revised and withdrawn rates, revised population": revise_rates_and_population,
}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    return run_chain(tmp_path_factory, dbt_env, STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("step", list(STEPS))
def test_each_change_gives_what_a_full_refresh_gives(chain: dict, step: str) -> None:
    check_full_refresh(chain, step)


@pytest.mark.slow
@pytest.mark.parametrize("step", ["an unchanged delivery", *STEPS])
def test_each_change_rebuilds_only_the_partitions_it_touches(chain: dict, step: str) -> None:
    check_rebuilt_partitions(chain, step)
