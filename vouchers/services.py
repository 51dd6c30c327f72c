"""What the use cases need from the outside world, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vouchers.claiming.gate import ClaimGate
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.common.policy import Policy
from vouchers.common.tokens import TokenSigner
from vouchers.qr.keys import QrKeyRing


@dataclass
class Services:
    redis: Any  # redis.asyncio.Redis or its in-process fake
    keys: PersonalDataKeys
    tokens: TokenSigner
    policy: Policy = field(default_factory=Policy)
    bureau_token_ttl_s: int = 8 * 3600
    session_token_ttl_s: int = 2 * 3600
    # Institutions: QR signing keys and scan settings (see [institutions] in the config).
    qr: QrKeyRing = field(default_factory=QrKeyRing.ephemeral)
    staff_token_ttl_s: int = 12 * 3600
    annul_window_s: int = 15 * 60
    fence_accuracy_cap_m: int = 100

    _gate: ClaimGate | None = field(default=None, init=False, repr=False)

    @property
    def gate(self) -> ClaimGate:
        """One gate per Redis client: it keeps the sold-out snapshots and the registered scripts."""
        if self._gate is None or self._gate.redis is not self.redis:
            self._gate = ClaimGate(self.redis)
        return self._gate

    @classmethod
    def from_secret(cls, secret: bytes, redis: Any, **kwargs: Any) -> Services:
        return cls(redis=redis, keys=PersonalDataKeys(secret), tokens=TokenSigner(secret), **kwargs)
