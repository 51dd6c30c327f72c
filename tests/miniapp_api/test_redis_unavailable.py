"""A request that meets a Redis it cannot reach (down, or failing over), where no use case turned
that into `service_busy` itself, is still 503 `service_busy` in Chinese, never a 500."""

from __future__ import annotations

from peixunquan.redis_client import connect_redis
from vouchers.common import errors


async def test_a_redis_call_outside_the_use_cases_is_service_busy_when_redis_is_unreachable(client, svc):
    working = svc.redis
    svc.redis = connect_redis("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        response = await client.get("/metrics")  # reads the delivery counters from Redis
    finally:
        await svc.redis.aclose()
        svc.redis = working
    assert response.status == 503
    body = await response.json()
    assert body["error"] == {"code": "service_busy", "message": errors.ServiceBusy.message}
