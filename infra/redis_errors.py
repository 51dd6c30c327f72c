"""What redis-py raises when Redis cannot answer, through any of its clients (one server, a
Sentinel-managed master, a Redis Cluster)."""

from __future__ import annotations

from redis import exceptions as e

# RedisCluster raises a few of its errors outside RedisError: no node covers the slot, no node
# answers (RedisClusterException). A socket may fail below redis-py (OSError).
REDIS_FAILURES = (e.RedisError, e.RedisClusterException, OSError)

# The part of them a failover or an outage explains (a ResponseError of a wrong command stays a
# bug): unreachable, timed out, a demoted master refusing writes, a cluster without a master for a
# slot, or a slot moving.
REDIS_UNAVAILABLE = (
    e.ConnectionError,
    e.TimeoutError,
    e.ReadOnlyError,
    e.ClusterDownError,
    e.TryAgainError,
    e.RedisClusterException,
)
