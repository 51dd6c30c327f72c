"""Failed logins are counted per account and per client address in Redis, so every server process
counts the same failures. After `max_failures` failures of one username within `window_s` the
username is locked for `lock_s`; after `address_max_failures` failures from one address within
`window_s` that address is refused until the window ends. While refused, even the right password
is refused (429 `too_many_attempts`).

A username that does not exist is counted and locked exactly like one that does, so neither the
answer nor its timing tells whether an account exists. When a real account is locked its owner is
told (`vouchers.identity.lockouts`) and an administrator may lift the lock early.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from infra.redis_errors import REDIS_FAILURES
from vouchers.common import errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginLimits:
    """[security] login_*: see config.example.toml."""

    max_failures: int = 10
    lock_s: int = 15 * 60
    address_max_failures: int = 100
    window_s: int = 15 * 60


# KEYS: failures, lock (one slot: hash tag). ARGV: window_s, max_failures, lock_s, locked-until.
# Returns 1 when this failure locked the account (exactly once across processes), else 0.
_FAIL_ACCOUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

_FAIL_ADDRESS = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def _account_keys(kind: str, username: str) -> list[str]:
    # Hashed: any text a client sends as a username stays out of key names.
    tag = hashlib.sha256(f"{kind}\x00{username.strip().lower()}".encode()).hexdigest()[:32]
    return [f"pxq:login:{{{tag}}}:failures", f"pxq:login:{{{tag}}}:lock"]


def _address_key(kind: str, address: str) -> str:
    return f"pxq:login:addr:{kind}:{address or '-'}"


class LoginThrottle:
    def __init__(self, redis: Any, limits: LoginLimits) -> None:
        self.redis = redis
        self.limits = limits

    async def check(self, kind: str, username: str, address: str) -> None:
        """Raises TooManyAttempts while the username is locked or the address is over its limit."""
        lock_key = _account_keys(kind, username)[1]
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.exists(lock_key).get(_address_key(kind, address))
            locked, from_address = await pipe.execute()
        except REDIS_FAILURES:
            log.warning("login throttle unavailable: login checked by password only")
            return
        if locked or int(from_address or 0) >= self.limits.address_max_failures:
            raise errors.TooManyAttempts()

    async def failed(self, kind: str, username: str, address: str) -> bool:
        """Counts a failure; True when it locked the username (once, in one process)."""
        failures_key, lock_key = _account_keys(kind, username)
        limits = self.limits
        try:
            await self.redis.eval(_FAIL_ADDRESS, 1, _address_key(kind, address), limits.window_s)
            locked = await self.redis.eval(
                _FAIL_ACCOUNT,
                2,
                failures_key,
                lock_key,
                limits.window_s,
                limits.max_failures,
                limits.lock_s,
                int(time.time()) + limits.lock_s,
            )
        except REDIS_FAILURES:
            log.warning("login throttle unavailable: failure not counted")
            return False
        return bool(locked)

    async def succeeded(self, kind: str, username: str) -> None:
        try:
            await self.redis.delete(_account_keys(kind, username)[0])
        except REDIS_FAILURES:
            pass

    async def lift(self, kind: str, username: str) -> bool:
        """Unlocks the username at once and forgets its failures; True if it was locked."""
        failures_key, lock_key = _account_keys(kind, username)
        locked = await self.redis.delete(lock_key)
        await self.redis.delete(failures_key)
        return bool(locked)
