"""Redis through redis.asyncio; `memory://` is an in-process fake with Lua (one process only)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

_memory_servers: dict[str, Any] = {}


def connect_redis(url: str) -> Any:
    if url.startswith("memory://"):
        import fakeredis

        server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        return fakeredis.FakeAsyncRedis(server=server)
    return aioredis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30, max_connections=256
    )
