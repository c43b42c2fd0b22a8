"""The core must agree exactly with the independent reference model (tests/engine/core/reference.py):
every event of every command (trades in order, statuses, seqs, priorities), then depth and open orders."""

import pytest

from tests.engine.core.helpers import SYM
from tests.engine.core.streams import STOP_HEAVY, both, compare, random_commands, standard_commands


@pytest.mark.parametrize("seed", range(40))
def test_core_matches_reference_on_random_streams(seed: int) -> None:
    eng, ref = both()
    assert compare(eng, ref, random_commands(seed, 400)) == 400


@pytest.mark.parametrize("seed", range(5))
def test_core_matches_reference_with_many_owners_and_wide_prices(seed: int) -> None:
    eng, ref = both()
    compare(eng, ref, random_commands(1000 + seed, 400, owners=12, spread=20))


@pytest.mark.parametrize("kind", ["limit", "mixed"])
def test_core_matches_reference_on_the_standard_streams(kind: str) -> None:
    eng, ref = both((SYM,))
    compare(eng, ref, standard_commands(kind, 3000), validate_every=50)


@pytest.mark.parametrize("seed", range(10))
def test_core_matches_reference_with_many_trailing_stops_and_oco_lists(seed: int) -> None:
    eng, ref = both()
    compare(eng, ref, random_commands(2000 + seed, 400, spread=10, types=STOP_HEAVY, oco=0.2))
