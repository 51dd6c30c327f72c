"""Access tokens shared by every process through Redis, with a single refresher.

`cgi-bin/stable_token` returns the same token while it is valid, but each call still counts
against a daily quota and a forced refresh invalidates the token other processes hold. So one
caller fetches and everybody else waits: inside a process the waiters share one task, across
processes a Redis lock (`SET NX PX`) elects the fetcher and the others poll the cached value.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

# fetch(force_refresh) -> (token, expires_in seconds)
Fetch = Callable[[bool], Awaitable[tuple[str, int]]]

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# Refresh this long before WeChat's expiry so no call carries a token that dies in flight.
EARLY_S = 300
LOCK_MS = 15_000
POLL_S = 0.05


class AccessTokens:
    def __init__(self, redis: Any, app_id: str, fetch: Fetch, *, wait_s: float = 15.0) -> None:
        self._redis = redis
        self._fetch = fetch
        self._key = f"wechat:token:{app_id}"
        self._lock = f"wechat:token-lock:{app_id}"
        self._wait_s = wait_s
        self._inflight: asyncio.Task[str] | None = None

    async def get(self) -> str:
        token = await self._redis.get(self._key)
        if token:
            return _text(token)
        return await self._single_flight(None)

    async def replace(self, rejected: str) -> str:
        """WeChat refused `rejected`: get a fresh token (forcing a refresh only if nobody has
        replaced it yet)."""
        return await self._single_flight(rejected)

    async def _single_flight(self, rejected: str | None) -> str:
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.ensure_future(self._refresh(rejected))
        # shield: one waiter being cancelled must not cancel the fetch the others wait for.
        return await asyncio.shield(self._inflight)

    async def _refresh(self, rejected: str | None) -> str:
        deadline = time.monotonic() + self._wait_s
        owner = secrets.token_hex(8)
        while time.monotonic() < deadline:
            cached = await self._redis.get(self._key)
            if cached and _text(cached) != rejected:
                return _text(cached)
            if await self._redis.set(self._lock, owner, nx=True, px=LOCK_MS):
                try:
                    cached = await self._redis.get(self._key)  # filled while we took the lock?
                    if cached and _text(cached) != rejected:
                        return _text(cached)
                    token, expires_in = await self._fetch(rejected is not None)
                    await self._redis.set(self._key, token, ex=max(expires_in - EARLY_S, 60))
                    return token
                finally:
                    await self._redis.eval(_RELEASE, 1, self._lock, owner)
            await asyncio.sleep(POLL_S)
        raise TimeoutError("no access token: another process holds the refresh lock")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
