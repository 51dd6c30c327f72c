"""What the use cases need from the outside world, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vouchers.batches.cache import BatchCache
from vouchers.claiming.gate import ClaimGate
from vouchers.claiming.writer import ClaimWriter
from vouchers.common.coherence import Coherence
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.common.policy import Policy
from vouchers.common.tokens import TokenSigner
from vouchers.identity.account_cache import AccountCache
from vouchers.identity.login_throttle import LoginLimits, LoginThrottle
from vouchers.institutions.staff_cache import StaffCache
from vouchers.qr.keys import QrKeyRing
from vouchers.scanning.reads import ScanReader, new_scan_reader
from vouchers.scanning.recent_reads import RecentReads
from vouchers.scanning.summary import MaskedHolders
from vouchers.scanning.writer import ScanWriter, new_scan_writer


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
    allow_private_webhooks: bool = False  # [institutions] allow_private_webhooks
    login_limits: LoginLimits = field(default_factory=LoginLimits)  # [security] login_*

    # Per-process state: the writers, caches and coalescers of the hot paths. Each Services has
    # its own, so a test (or a second app in one process) starts from nothing.
    batches: BatchCache = field(default_factory=BatchCache, init=False, repr=False)
    accounts: AccountCache = field(default_factory=AccountCache, init=False, repr=False)
    staff: StaffCache = field(default_factory=StaffCache, init=False, repr=False)
    claim_writer: ClaimWriter = field(default_factory=ClaimWriter, init=False, repr=False)
    scan_writer: ScanWriter = field(default_factory=new_scan_writer, init=False, repr=False)
    scan_reads: ScanReader = field(default_factory=new_scan_reader, init=False, repr=False)
    recent_reads: RecentReads = field(default_factory=RecentReads, init=False, repr=False)
    masked_holders: MaskedHolders = field(init=False, repr=False)
    _gate: ClaimGate | None = field(default=None, init=False, repr=False)
    _coherence: Coherence | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.masked_holders = MaskedHolders(self.keys)

    @property
    def login_throttle(self) -> LoginThrottle:
        return LoginThrottle(self.redis, self.login_limits)

    @property
    def gate(self) -> ClaimGate:
        """One gate per Redis client: it keeps the sold-out snapshots and the registered scripts."""
        if self._gate is None or self._gate.redis is not self.redis:
            self._gate = ClaimGate(self.redis)
        return self._gate

    @property
    def coherence(self) -> Coherence:
        """The caches above, kept in step with the other processes (`vouchers.common.coherence`)."""
        if self._coherence is None or self._coherence.redis is not self.redis:
            self._coherence = Coherence(
                self.redis,
                {
                    "accounts": self.accounts.forget,
                    "institutions": self.staff.forget_institution,
                    "batches": self.batches.forget,
                },
                self._clear_caches,
            )
        return self._coherence

    def _clear_caches(self) -> None:
        self.accounts.clear()
        self.staff.institutions.clear()
        self.batches.clear()

    @classmethod
    def from_secret(cls, secret: bytes, redis: Any, **kwargs: Any) -> Services:
        return cls(redis=redis, keys=PersonalDataKeys(secret), tokens=TokenSigner(secret), **kwargs)
