"""The claim tests again, on a real Redis Cluster (3 masters, 3 replicas) and a real Sentinel
set-up (a master, a replica, 3 sentinels) started by tests/support/redis_ha.py: the gate's scripts
keep each call in one slot, and a rush still issues the stock exactly once, nobody twice.

The database is the suite's (PostgreSQL in CI, SQLite here); only Redis changes. Skipped where
redis-server is not installed and in CI's embedded pass. tests/vouchers/claiming/
test_claim_redis_failover.py fails the master during a rush.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from peixunquan.config import RedisConfig
from tests.support.redis_ha import skip_unless_redis_ha
from tests.vouchers.claiming import test_claim, test_claim_concurrency, test_claim_gate, test_gate_reconcile

pytestmark = skip_unless_redis_ha


@pytest.fixture(params=["cluster", "sentinel"])
def redis_ha(request):
    return request.getfixturevalue(f"redis_{request.param}")


@pytest.fixture
def config(config, redis_ha):
    """The suite's configuration with Redis in HA (the `svc` fixture empties it before each test)."""
    return replace(config, redis=RedisConfig(url=redis_ha.url))


# The same tests, collected again here under this module's `config`.
test_rush_issues_exactly_the_stock_and_nobody_twice = (
    test_claim_concurrency.test_rush_issues_exactly_the_stock_and_nobody_twice
)
test_same_person_from_two_channels_at_once_gets_one_voucher = (
    test_claim.test_same_person_from_two_channels_at_once_gets_one_voucher
)
test_sold_out_after_stock_is_gone = test_claim.test_sold_out_after_stock_is_gone
test_gate_is_rebuilt_after_redis_loses_its_data = test_claim.test_gate_is_rebuilt_after_redis_loses_its_data
test_after_sell_out_winners_hear_already_claimed_and_others_sold_out = (
    test_claim_gate.test_after_sell_out_winners_hear_already_claimed_and_others_sold_out
)
test_claims_of_one_turn_share_one_script_call_in_arrival_order = (
    test_claim_gate.test_claims_of_one_turn_share_one_script_call_in_arrival_order
)
test_an_unloaded_gate_is_rebuilt_once_for_everyone_waiting = (
    test_claim_gate.test_an_unloaded_gate_is_rebuilt_once_for_everyone_waiting
)
test_the_periodic_check_replaces_a_gate_that_disagrees_with_the_database = (
    test_gate_reconcile.test_the_periodic_check_replaces_a_gate_that_disagrees_with_the_database
)
test_the_periodic_check_leaves_a_claim_in_flight_alone = (
    test_gate_reconcile.test_the_periodic_check_leaves_a_claim_in_flight_alone
)
