"""A per-process cache of batches for the claim and scan hot paths.

A rush sends thousands of claims a second at one batch; reading its rules from the database each
time would make the database the bottleneck for the losers too. Entries live one second, and the
claim transaction re-checks status and stock in the database, so a stale entry can only turn a
claim away for a second, never let a wrong one through. An expired entry is loaded once, however
many requests miss it together (`infra.ttl_cache`).
"""

from __future__ import annotations

from infra.ttl_cache import TtlCache
from models import Batch

TTL_S = 1.0


async def _load(batch_id: int) -> Batch | None:
    return await Batch.get_or_none(id=batch_id).prefetch_related("region")


class BatchCache:
    """One per process, on `Services.batches`."""

    def __init__(self, ttl_s: float = TTL_S) -> None:
        self._cache: TtlCache[int, Batch | None] = TtlCache(_load, ttl_s)

    async def get(self, batch_id: int) -> Batch | None:
        return await self._cache.get(batch_id)

    def fresh(self, batch_id: int) -> Batch | None:
        """The cached batch if it is fresh, without awaiting (None: ask `get`)."""
        return self._cache.fresh(batch_id)

    def forget(self, batch_id: int) -> None:
        self._cache.forget(batch_id)

    def clear(self) -> None:
        self._cache.clear()
