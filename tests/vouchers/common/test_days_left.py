"""`days_left` counts the days a trainee can still use a voucher: today and the last valid day
both count, no more. Validity ends at 24:00 Asia/Shanghai; `valid_until` is that instant in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models import Batch, ValidityMode
from vouchers.claiming.claim import valid_until_for
from vouchers.common.clock import LOCAL_TZ, days_left, end_of_local_day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def _days_batch(days: int) -> Batch:
    return Batch(validity_mode=ValidityMode.DAYS_AFTER_CLAIM, valid_days=days)


def test_a_90_day_voucher_claimed_today_has_90_days_left_at_any_hour():
    today = date(2026, 3, 10)
    for hour in (0, 7, 23):
        claimed = _at(today, hour, 59 if hour == 23 else 0)
        until = valid_until_for(_days_batch(90), claimed)
        assert until == end_of_local_day(today + timedelta(days=89))
        assert days_left(until, claimed) == 90


def test_a_1_day_voucher_is_usable_today_only():
    today = date(2026, 3, 10)
    until = valid_until_for(_days_batch(1), _at(today, 9))
    assert days_left(until, _at(today, 9)) == 1
    assert days_left(until, _at(today, 23, 59)) == 1
    assert days_left(until, until) == 0  # 24:00 local: over


def test_the_last_valid_day_counts_as_one_and_the_day_after_as_none():
    last = date(2026, 6, 30)
    until = end_of_local_day(last)
    assert days_left(until, _at(last, 0)) == 1
    assert days_left(until, _at(last - timedelta(days=1), 23, 59)) == 2
    assert days_left(until, _at(last - timedelta(days=6), 8)) == 7
    assert days_left(until, until - timedelta(microseconds=1)) == 1
    assert days_left(until, until + timedelta(days=1)) == 0


def test_local_midnight_not_utc_midnight_starts_a_day():
    last = date(2026, 6, 30)
    until = end_of_local_day(last)
    # 2026-06-29 16:30 UTC is already 00:30 on June 30 in Shanghai: the last day, 1 left.
    assert days_left(until, datetime(2026, 6, 29, 16, 30, tzinfo=UTC)) == 1
    assert days_left(until, datetime(2026, 6, 29, 15, 59, tzinfo=UTC)) == 2


def test_a_fixed_end_date_is_its_last_valid_day():
    batch = Batch(validity_mode=ValidityMode.FIXED_DATE, valid_until_date=date(2026, 12, 31))
    until = valid_until_for(batch, _at(date(2026, 12, 1), 10))
    assert days_left(until, _at(date(2026, 12, 1), 10)) == 31
