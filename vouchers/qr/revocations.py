"""The incremental revocation list for offline scanners: vouchers that stopped being usable
(revoked, expired, voided, settled, returned), in the order the history recorded it. A scanner keeps the
cursor of its last call and asks only for what came after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import VoucherHistory, VoucherStatus

UNUSABLE = [
    str(s)
    for s in (
        VoucherStatus.REVOKED,
        VoucherStatus.EXPIRED,
        VoucherStatus.VOIDED,
        VoucherStatus.SETTLED,
        VoucherStatus.RETURNED,
    )
]


@dataclass(frozen=True)
class Revocation:
    code: str
    status: str
    at: datetime


async def revocations_since(cursor: int, limit: int) -> tuple[list[Revocation], int]:
    rows = (
        await VoucherHistory.filter(id__gt=cursor, to_status__in=UNUSABLE)
        .order_by("id")
        .limit(limit)
        .prefetch_related("voucher")
    )
    items = [Revocation(r.voucher.code, r.to_status, r.at) for r in rows]
    return items, rows[-1].id if rows else cursor
