"""Daily roots of the voucher history: per local (Asia/Shanghai) day, how many rows and one
sha256 over their seals.

A bureau exports them and keeps them outside the database (printed, mailed, filed). Whoever can
write to the database can also recompute a voucher's whole chain after an edit, and the chain then
checks out; the day's root no longer matches the one kept elsewhere. The same goes for a
voucher's last rows deleted, which no later link can show.

root = sha256 of each row's `row_hash` followed by "\\n", in id order ("" for a row from before
sealing); a day without rows has count 0 and the sha256 of nothing. Computed from the stored
seals, so anyone can recompute it from a copy of the table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.functions import Max, Min

from models import Batch, VoucherHistory
from vouchers.common import errors
from vouchers.common.clock import local_date, start_of_local_day, utcnow

MAX_DAYS = 366
WINDOW_IDS = 20_000


@dataclass(frozen=True)
class DailyRoot:
    day: date
    count: int
    root: str
    complete: bool  # the day has ended: its root will not change any more


async def daily_roots(date_from: date, date_to: date, region_path: str | None = None) -> list[DailyRoot]:
    """Every day of [date_from, date_to]; only the vouchers of batches of `region_path` and below
    when given (a bureau's own roots)."""
    if date_to < date_from:
        raise errors.HistoryRangeInvalid("结束日期不能早于开始日期")
    if (date_to - date_from).days >= MAX_DAYS:
        raise errors.HistoryRangeInvalid(f"一次最多导出 {MAX_DAYS} 天")
    start, end = start_of_local_day(date_from), start_of_local_day(date_to + timedelta(days=1))
    days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    hashers = {day: hashlib.sha256() for day in days}
    counts = dict.fromkeys(days, 0)
    query = VoucherHistory.filter(at__gte=start, at__lt=end)
    if region_path is not None:
        batch_ids = await Batch.filter(region__path__startswith=region_path).values_list("id", flat=True)
        query = query.filter(voucher__batch_id__in=batch_ids or [0])
    # Window by window of ids: each statement reads a bounded range of the primary key (a LIMIT
    # after a join would read every row of the days again for each page).
    [bounds] = await (
        VoucherHistory.filter(at__gte=start, at__lt=end).annotate(lo=Min("id"), hi=Max("id")).values("lo", "hi")
    )
    lo, hi = bounds["lo"], bounds["hi"]
    for window in range(lo, hi + 1, WINDOW_IDS) if lo is not None else ():
        rows = (
            await query.filter(id__gte=window, id__lt=window + WINDOW_IDS).order_by("id").values_list("at", "row_hash")
        )
        for at, row_hash in rows:
            day = local_date(_aware(at))
            hashers[day].update(((row_hash or "") + "\n").encode())
            counts[day] += 1
    now = utcnow()
    return [
        DailyRoot(day, counts[day], hashers[day].hexdigest(), start_of_local_day(day + timedelta(days=1)) <= now)
        for day in days
    ]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def roots_csv(roots: list[DailyRoot], newline: str = "\r\n") -> str:
    """date,count,root: what the bureau files."""
    lines = ["date,count,root"] + [f"{r.day.isoformat()},{r.count},{r.root}" for r in roots]
    return newline.join(lines) + newline
