"""A pub/sub subscription through any of redis-py's clients, stopped by closing it, that says when
it was made again: redis-py reconnects and subscribes again by itself after a dropped connection,
and what was published in between is lost to this subscriber (`Subscription.remade`).

One server or a Sentinel-managed master: the client's own `pubsub()` (Sentinel's connection asks
the Sentinels for the master, so a subscription made again after a failover follows it; the
Sentinels also drop the demoted master's subscribers, so none is left listening there).

A Redis Cluster: a plain `redis.asyncio.Redis` to one node, taken in random order from the nodes
the cluster client knows, the next one when a node does not answer. That is correct because in a
cluster a PUBLISH reaches every node, masters and replicas (the cluster bus carries it), so any
single node hears every message whichever node it was published on. redis-py's own ClusterPubSub
is not in every redis-py version this project allows, and ties the subscription to the node of
the channel's slot, which adds nothing for classic (non-sharded) pub/sub.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from infra.redis_errors import REDIS_FAILURES

# What a node client takes over from the cluster client's connections to that node.
_NODE_KWARGS = ("username", "password", "credential_provider", "socket_timeout", "socket_connect_timeout")


class Subscription:
    def __init__(self, pubsub: Any) -> None:
        self.pubsub = pubsub
        self._remade = False
        # Called on every connect of this connection after the first (the subscribe made it).
        pubsub.connection.register_connect_callback(self._connected)

    def _connected(self, connection: Any) -> None:
        self._remade = True

    def remade(self) -> bool:
        """True once after each time redis-py reconnected and subscribed again by itself."""
        remade, self._remade = self._remade, False
        return remade

    async def get_message(self, wait_s: float) -> dict | None:
        """The next message, or None after `wait_s` without one."""
        return await self.pubsub.get_message(timeout=wait_s)


@contextlib.asynccontextmanager
async def subscription(client: Any, channel: str) -> AsyncIterator[Subscription]:
    """Subscribed to `channel` (subscribe confirmations not returned), closed at the end. Raises
    one of REDIS_FAILURES when no server could be subscribed to."""
    if isinstance(client, RedisCluster):
        node_client, pubsub = await _subscribe_to_a_node(client, channel)
    else:
        node_client, pubsub = None, client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
        except BaseException:
            await _close(pubsub, None)
            raise
    try:
        yield Subscription(pubsub)
    finally:
        await _close(pubsub, node_client)


async def _subscribe_to_a_node(cluster: RedisCluster, channel: str) -> tuple[aioredis.Redis, Any]:
    await cluster.initialize()
    nodes = list(cluster.get_nodes())
    random.shuffle(nodes)
    failure: BaseException | None = None
    for node in nodes:
        kwargs = {k: v for k, v in node.connection_kwargs.items() if k in _NODE_KWARGS}
        node_client = aioredis.Redis(host=node.host, port=node.port, **kwargs)
        pubsub = node_client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            return node_client, pubsub
        except REDIS_FAILURES as exc:
            failure = exc  # a node that is down: the next one
            await _close(pubsub, node_client)
        except BaseException:
            await _close(pubsub, node_client)
            raise
    raise failure or ConnectionError("the cluster client knows no node")


async def _close(pubsub: Any, node_client: aioredis.Redis | None) -> None:
    with contextlib.suppress(*REDIS_FAILURES):
        await pubsub.aclose()
    if node_client is not None:
        with contextlib.suppress(*REDIS_FAILURES):
            await node_client.aclose()
