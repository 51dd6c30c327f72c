"""Messages per second per channel, shared by every worker process through Redis.

A fixed one-second window per channel: simple, and exact enough for platform limits stated per
second. A worker over the limit sleeps until the next window.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

_TAKE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return n
"""


class RateLimiter:
    def __init__(self, redis: Any, per_second: Callable[[str], int]) -> None:
        self._take = redis.register_script(_TAKE)
        self._per_second = per_second

    async def acquire(self, channel: str) -> int | None:
        """Waits for a slot; returns the one-second window (unix second) the send counts in, or
        None when the channel has no limit."""
        limit = self._per_second(channel)
        if limit <= 0:
            return None
        while True:
            now = time.time()
            second = int(now)
            if int(await self._take(keys=[f"pxq:rate:{channel}:{second}"])) <= limit:
                return second
            # Spread the wake-ups a little so workers do not all hit the next window at once.
            await asyncio.sleep(second + 1 - now + random.uniform(0, 0.02))
