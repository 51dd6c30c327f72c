"""Schedule expiry reminders: one outbox row per voucher and offset, whatever the number of
workers, restarts or repeated sweeps (the row's dedupe key is unique).

Offset N days means: remind, at the reminder hour, from the day when N days of use are left (as
`days_left` counts them: today and the last valid day included), so the 7-day reminder comes a
week before the end and says 还剩7天, and the 1-day one on the last valid day. A voucher falls in
the window of the largest offset it has reached and not the smaller one, so a voucher claimed
three days before its end gets one reminder now and the 1-day one later, not two at once. Only
claimed, unused vouchers are reminded. The text (`templates/notices/trainee/voucher_expiring.txt`)
says how many days are left, worded apart for the last day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tortoise import connections

from models import OutboxMessage, Voucher, VoucherStatus
from models.database import is_postgres
from models.sql.reminders import queue_reminders
from vouchers.common.clock import LOCAL_TZ, end_of_local_day, local_date

KIND = "voucher_expiring"


def windows(now: datetime, offsets_days: tuple[int, ...]) -> list[tuple[int, datetime, datetime]]:
    """(offset, lower exclusive, upper inclusive) bounds of `valid_until` for each offset: offset N
    takes the vouchers with at most N days left and more than the next smaller offset's."""
    today = local_date(now)

    def ending_with(days_left: int) -> datetime:  # valid_until of a voucher with that many days left today
        return end_of_local_day(today + timedelta(days=days_left - 1))

    result = []
    ordered = sorted(set(offsets_days), reverse=True)
    for i, days in enumerate(ordered):
        lower = ending_with(ordered[i + 1]) if i + 1 < len(ordered) else now
        result.append((days, max(lower, now), ending_with(days)))
    return result


def send_time(now: datetime, hour: int) -> datetime:
    at = datetime.combine(local_date(now), time(hour), LOCAL_TZ)
    return max(now, at)


async def schedule_reminders(now: datetime, offsets_days: tuple[int, ...], hour: int) -> int:
    """Queue today's reminders (due at the reminder hour); returns how many were new."""
    send_at = send_time(now, hour)
    db = connections.get("default")
    scheduled = 0
    for days, lower, upper in windows(now, offsets_days):
        if is_postgres(db):
            scheduled += await queue_reminders(db, KIND, lower, upper, days, send_at, now)
        else:
            scheduled += await _schedule_orm(now, lower, upper, days, send_at)
    return scheduled


async def _schedule_orm(now: datetime, lower: datetime, upper: datetime, days: int, send_at: datetime) -> int:
    """SQLite (one process): the same rows through the ORM."""
    vouchers = await Voucher.filter(status=VoucherStatus.CLAIMED, valid_until__gt=lower, valid_until__lte=upper)
    keys = [f"remind:{v.id}:{days}" for v in vouchers]
    existing = set(await OutboxMessage.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    rows = [
        OutboxMessage(
            kind=KIND,
            dedupe_key=key,
            person_id=v.person_id,
            voucher_id=v.id,
            payload={"offset_days": days, "valid_until": v.valid_until.isoformat()},
            next_attempt_at=send_at,
        )
        for v, key in zip(vouchers, keys, strict=True)
        if key not in existing
    ]
    await OutboxMessage.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
