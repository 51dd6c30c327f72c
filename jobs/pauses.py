"""A channel/template paused after a daily-quota error, until the quota resets. Kept in Redis so
every worker sees it; if Redis loses it, the next send meets the quota error and pauses again."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _key(channel: str, template: str | None) -> str:
    return f"pxq:pause:{channel}:{template or '-'}"


class Pauses:
    def __init__(self, redis: Any) -> None:
        self._redis = redis

    async def pause(self, channel: str, template: str | None, until: datetime) -> None:
        await self._redis.set(_key(channel, template), until.isoformat(), exat=int(until.timestamp()) + 1)

    async def paused_until(self, channel: str, template: str | None, now: datetime) -> datetime | None:
        value = await self._redis.get(_key(channel, template))
        if value is None:
            return None
        until = datetime.fromisoformat(value.decode() if isinstance(value, bytes) else value)
        return until if until > now else None
