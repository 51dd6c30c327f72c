"""A batch's live counts for its page: how many vouchers were issued, claimed by the trainees
themselves, used (enrolled and on), written off, expired and revoked, and given back (退券).
Read from the vouchers (one grouped query on the batch's index), so they are exact at the moment
they are asked. A returned voucher's unit is back in stock: issued and claimed count the vouchers
held (quantity = remaining + issued), the returned ones are counted apart."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from models import BureauUser, Voucher, VoucherStatus
from vouchers.batches.manage import get_batch

USED = {"enrolled", "completed", "settled", "written_off"}
WRITTEN_OFF = {"settled", "written_off"}


@dataclass(frozen=True)
class BatchCounts:
    quantity: int
    remaining: int
    issued: int
    claimed: int  # by the trainee (not issued from a roster)
    used: int
    written_off: int
    expired: int
    revoked: int
    returned: int


async def batch_counts(user: BureauUser, batch_id: int) -> BatchCounts:
    batch = await get_batch(user, batch_id)
    rows = (
        await Voucher.filter(batch_id=batch.id)
        .annotate(n=Count("id"))
        .group_by("status", "automatic")
        .values("status", "automatic", "n")
    )
    by_status: dict[str, int] = {}
    claimed = 0
    for row in rows:
        status = str(row["status"])
        by_status[status] = by_status.get(status, 0) + row["n"]
        if not row["automatic"] and status != VoucherStatus.RETURNED:
            claimed += row["n"]
    returned = by_status.pop(VoucherStatus.RETURNED, 0)
    return BatchCounts(
        quantity=batch.quantity,
        remaining=batch.remaining,
        issued=sum(by_status.values()),
        claimed=claimed,
        used=sum(n for s, n in by_status.items() if s in USED),
        written_off=sum(n for s, n in by_status.items() if s in WRITTEN_OFF),
        expired=by_status.get(VoucherStatus.EXPIRED, 0) + by_status.get(VoucherStatus.VOIDED, 0),
        revoked=by_status.get(VoucherStatus.REVOKED, 0),
        returned=returned,
    )
