"""Cache changes reach another process's `Services` over a real Redis Cluster and a real Sentinel
set-up (tests/support/redis_ha.py). On the cluster the listener subscribes through one node of it
while the change is published through the cluster client to whichever node it picks: a PUBLISH
reaches every node (infra.redis_pubsub)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from models import ChannelAccount
from peixunquan.config import RedisConfig
from peixunquan.redis_client import connect_redis
from tests.support.factories import trainee
from tests.support.redis_ha import RedisClusterSetup, skip_unless_redis_ha
from tests.vouchers.common import test_coherence
from tests.vouchers.common.test_coherence import _until
from vouchers.services import Services

pytestmark = skip_unless_redis_ha


@pytest.fixture(params=["cluster", "sentinel"])
def redis_ha(request):
    return request.getfixturevalue(f"redis_{request.param}")


@pytest.fixture
def config(config, redis_ha):
    return replace(config, redis=RedisConfig(url=redis_ha.url))


test_a_logout_drops_the_account_in_the_other_process = (
    test_coherence.test_a_logout_drops_the_account_in_the_other_process
)
test_unknown_or_malformed_messages_change_nothing = test_coherence.test_unknown_or_malformed_messages_change_nothing


async def test_a_lost_subscription_is_made_again_and_changes_still_arrive(svc, config, redis_ha):
    """The other process has a Redis client of its own. Its subscription is cut (every node drops
    its subscribers, as a node going away would): it subscribes again, through another node on a
    cluster if need be, forgets what it may have missed, and hears the next change."""
    account, _ = await trainee(svc)
    other_redis = connect_redis(config.redis.url)
    other = Services(redis=other_redis, keys=svc.keys, tokens=svc.tokens)
    subscribed, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(other.coherence.listen(stop, subscribed))
    try:
        await asyncio.wait_for(subscribed.wait(), 5)
        await other.accounts.get(account.id)
        assert account.id in other.accounts._bound
        subscribed.clear()
        nodes = redis_ha.live() if isinstance(redis_ha, RedisClusterSetup) else [redis_ha.current_master()]
        for node in nodes:
            await asyncio.to_thread(node.client().execute_command, "CLIENT", "KILL", "TYPE", "pubsub")
        await asyncio.wait_for(subscribed.wait(), 10)
        assert account.id not in other.accounts._bound  # cleared: changes may have been missed

        await other.accounts.get(account.id)
        await ChannelAccount.filter(id=account.id).update(token_version=3)
        await svc.coherence.forget("accounts", account.id)
        assert await _until(lambda: account.id not in other.accounts._bound, within_s=5)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await other_redis.aclose()
