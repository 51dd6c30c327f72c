"""WeChat retries a callback it got no answer to within 5 s (three times). The first arrival
claims the message id in Redis; a retry waits briefly for the first reply and returns it
again, and never runs the handler a second time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

PENDING = "\x00pending"
TTL_S = 60  # longer than WeChat's retry span (3 retries, 5 s apart)


class Deduper:
    def __init__(self, redis: Any, prefix: str = "wechat:bot:seen:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def claim(self, key: str) -> bool:
        """True for the first arrival of `key`."""
        return bool(await self._redis.set(self._prefix + key, PENDING, nx=True, ex=TTL_S))

    async def remember(self, key: str, reply: str) -> None:
        await self._redis.set(self._prefix + key, reply, ex=TTL_S)

    async def first_reply(self, key: str, wait_s: float) -> str | None:
        """The first arrival's reply, waiting up to `wait_s` for it; None if it is not ready."""
        deadline = time.monotonic() + wait_s
        while True:
            value = await self._redis.get(self._prefix + key)
            text = value.decode() if isinstance(value, bytes) else value
            if text is not None and text != PENDING:
                return text
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)
