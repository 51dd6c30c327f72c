"""Redis through redis.asyncio; `memory://` is an in-process fake with Lua (one process only).

`redis+sentinel://` and `redis+cluster://` (peixunquan.redis_url, docs/redis-ha.md) go through
redis-py's own clients: the Sentinel-managed master, which follows a failover by asking the
Sentinels again, and RedisCluster, which follows MOVED replies and a promoted replica.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel

from peixunquan.redis_url import CLUSTER, SENTINEL, parse_ha_url

_memory_servers: dict[str, Any] = {}

# Every client alike: a call to a Redis that stopped answering fails within seconds (the claim
# gate relies on it, it sets no timer of its own), idle connections are checked before use.
_TIMEOUTS = {"socket_timeout": 2, "socket_connect_timeout": 2, "health_check_interval": 30}
MAX_CONNECTIONS = 256  # per server (per node on a cluster)


class SentinelMaster(aioredis.Redis):
    """The master of a Sentinel service; closing it closes the connections to the Sentinels too."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for sentinel in self.connection_pool.sentinel_manager.sentinels:
            await sentinel.aclose()


def connect_redis(url: str) -> Any:
    if url.startswith("memory://"):
        import fakeredis

        server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        return fakeredis.FakeAsyncRedis(server=server)
    scheme = url.partition("://")[0]
    if scheme == SENTINEL:
        target = parse_ha_url(url)
        sentinel = Sentinel(
            list(target.hosts),
            sentinel_kwargs={"password": target.sentinel_password, **_TIMEOUTS},
            **_TIMEOUTS,
        )
        return sentinel.master_for(
            target.service,
            redis_class=SentinelMaster,
            db=target.db,
            password=target.password,
            max_connections=MAX_CONNECTIONS,
        )
    if scheme == CLUSTER:
        target = parse_ha_url(url)
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in target.hosts],
            password=target.password,
            max_connections=MAX_CONNECTIONS,
            **_TIMEOUTS,
        )
    return aioredis.from_url(url, max_connections=MAX_CONNECTIONS, **_TIMEOUTS)
