"""Time rules: stored in UTC; validity dates are local dates in Asia/Shanghai ending at 24:00."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=4096)  # a pure function of the date; every claim asks it
def end_of_local_day(day: date) -> datetime:
    """The instant a validity date ends: 24:00 local time, as an aware UTC datetime."""
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)


def start_of_local_day(day: date) -> datetime:
    """The instant a local date begins: 00:00 local time, as an aware UTC datetime."""
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)


def local_days(first: date, last: date) -> tuple[datetime, datetime]:
    """From 00:00 of the first local date to 24:00 of the last (a class's dates), in UTC."""
    return start_of_local_day(first), end_of_local_day(last)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def local_year_bounds(moment: datetime) -> tuple[datetime, datetime]:
    year = moment.astimezone(LOCAL_TZ).year
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    return start, end


def days_left(valid_until: datetime, now: datetime) -> int:
    """The local days a voucher can still be used: today and the last valid day both count (a
    voucher valid until 24:00 today has 1 day left); 0 once expired. `valid_until` is exclusive."""
    if now >= valid_until:
        return 0
    last_day = local_date(valid_until - timedelta(microseconds=1))
    return (last_day - local_date(now)).days + 1
