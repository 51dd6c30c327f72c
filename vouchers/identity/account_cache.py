"""Bound trainee accounts, by id, per process.

Every trainee request needs its account, and in a claim rush reading it from the database was the
largest cost of turning a loser away. A bound account never changes person (rebinding is
refused), so only a logout (the token version) or an unbinding can make an entry wrong: it is
dropped in every process through `vouchers.common.coherence`, with BOUND_TTL_S as the fallback.
The reads of one event-loop turn share one query.
"""

from __future__ import annotations

import time

from infra.coalesce import Coalescer
from models import ChannelAccount

BOUND_TTL_S = 30.0
MAX_ENTRIES = 100_000


async def _fetch_accounts(ids: list[int]) -> list[tuple[int, ChannelAccount]]:
    return [(a.id, a) for a in await ChannelAccount.filter(id__in=ids)]


class AccountCache:
    """One per process, on `Services.accounts`."""

    def __init__(self, ttl_s: float = BOUND_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._bound: dict[int, tuple[float, ChannelAccount]] = {}
        self._accounts: Coalescer[int, ChannelAccount] = Coalescer(_fetch_accounts)

    async def get(self, account_id: int) -> ChannelAccount | None:
        now = time.monotonic()
        hit = self._bound.get(account_id)
        if hit and now - hit[0] < self.ttl_s:
            return hit[1]
        account = await self._accounts.load(account_id)
        if account is not None and account.person_id is not None:
            if len(self._bound) > MAX_ENTRIES:
                self._bound.clear()
            self._bound[account.id] = (now, account)
        return account

    def forget(self, account_id: int) -> None:
        self._bound.pop(account_id, None)

    def clear(self) -> None:
        self._bound.clear()
