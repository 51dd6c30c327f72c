"""A callback's (timestamp, nonce) pair is accepted once, in every mode, by every process.

In plaintext (and compatible) mode the URL signature covers only token, timestamp and nonce: a
captured URL would carry any body until its timestamp leaves the window. The pair is remembered
in Redis with a digest of the body for as long as the timestamp is accepted; the same pair again
with the same body is WeChat's own retry (answered with the first reply, never handled twice),
with another body it is refused.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bot.security import Forbidden


class CallbackNonces:
    def __init__(self, redis: Any, max_skew_s: int, prefix: str = "wechat:bot:nonce:") -> None:
        self._redis = redis
        self._ttl_s = 2 * max_skew_s + 1  # a timestamp is accepted from -skew to +skew around now
        self._prefix = prefix

    async def first_use(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """True the first time; False for a repeat with the same body; Forbidden otherwise."""
        pair = hashlib.sha256(f"{timestamp}\x00{nonce}".encode()).hexdigest()[:32]
        digest = hashlib.sha256(body).hexdigest()
        key = self._prefix + pair
        if await self._redis.set(key, digest, nx=True, ex=self._ttl_s):
            return True
        seen = await self._redis.get(key)
        seen_text = seen.decode() if isinstance(seen, bytes) else seen
        if seen_text != digest:
            raise Forbidden("nonce reused with another body")
        return False
