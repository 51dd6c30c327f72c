"""Reminder scheduling and the expiry sweep: one reminder per voucher and offset, durable expiry
with history and notice, the regional void rule, and safety with several workers at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models import OutboxMessage, Voucher, VoucherHistory, VoucherStatus
from tests.support.factories import bureau, published_batch, regions, trainee
from vouchers.batches.expire import expire_vouchers
from vouchers.claiming.claim import new_voucher_code
from vouchers.common.clock import end_of_local_day, local_date, utcnow
from vouchers.common.policy import Policy, PolicyRule
from vouchers.notices.reminders import schedule_reminders

OFFSETS = (7, 1)


async def _vouchers(client, svc, last_days: list[int], status=VoucherStatus.CLAIMED, region="320200") -> list[Voucher]:
    """One voucher per entry, whose last valid day is today + that many days."""
    await regions()
    token = await bureau(svc, username=f"u{region}", region=region)
    batch = await published_batch(client, token, region=region, quantity=100)
    today = local_date(utcnow())
    made = []
    for days in last_days:
        account, _ = await trainee(svc)
        made.append(
            await Voucher.create(
                code=new_voucher_code(),
                batch_id=batch["id"],
                person_id=account.person_id,
                status=status,
                voucher_type="职业培训券",
                claimed_at=utcnow() - timedelta(days=30),
                valid_until=end_of_local_day(today + timedelta(days=days)),
                used_at=utcnow() if status == VoucherStatus.ENROLLED else None,
            )
        )
    return made


async def _reminders() -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for row in await OutboxMessage.filter(kind="voucher_expiring"):
        found.setdefault(row.voucher_id, set()).add(row.payload["offset_days"])
    return found


async def test_each_voucher_is_reminded_once_per_offset_whatever_the_sweeps(client, svc) -> None:
    # Days of use left (today and the last valid day counted): 21, 7, 8, 2, 1 and none.
    far, week, eight, two, today, gone = await _vouchers(client, svc, [20, 6, 7, 1, 0, -1])
    enrolled = (await _vouchers(client, svc, [3], VoucherStatus.ENROLLED, region="320281"))[0]
    now = utcnow()

    first = await schedule_reminders(now, OFFSETS, 9)
    again = await asyncio.gather(*(schedule_reminders(now, OFFSETS, 9) for _ in range(3)))
    assert first == 3 and again == [0, 0, 0]
    assert await _reminders() == {week.id: {7}, two.id: {7}, today.id: {1}}

    # Six days later the week-reminded voucher has its last day: the 1-day reminder, once.
    later = now + timedelta(days=6)
    assert await schedule_reminders(later, OFFSETS, 9) >= 1
    assert await schedule_reminders(later, OFFSETS, 9) == 0
    assert (await _reminders())[week.id] == {7, 1}
    assert (await _reminders())[eight.id] == {7}
    assert far.id not in await _reminders() and gone.id not in await _reminders()
    assert enrolled.id not in await _reminders()


async def test_reminders_wait_for_the_reminder_hour(client, svc) -> None:
    await _vouchers(client, svc, [1])
    today = local_date(utcnow())
    early = end_of_local_day(today - timedelta(days=1)) + timedelta(hours=6)  # 06:00 local today
    await schedule_reminders(early, OFFSETS, 9)
    row = await OutboxMessage.get(kind="voucher_expiring")
    assert row.next_attempt_at == early + timedelta(hours=3)


async def test_expiry_is_written_once_with_history_and_notice(client, svc) -> None:
    past, current = await _vouchers(client, svc, [-1, 3])
    results = await asyncio.gather(*(expire_vouchers(utcnow(), Policy()) for _ in range(3)))
    assert sum(r["expired"] for r in results) == 1
    assert (await Voucher.get(id=past.id)).status == VoucherStatus.EXPIRED
    assert (await Voucher.get(id=current.id)).status == VoucherStatus.CLAIMED
    history = await VoucherHistory.filter(voucher_id=past.id, action="expired")
    assert len(history) == 1 and history[0].actor_kind == "system" and history[0].from_status == "claimed"
    assert await OutboxMessage.filter(voucher_id=past.id, kind="voucher_expired").count() == 1
    assert (await expire_vouchers(utcnow(), Policy()))["expired"] == 0


async def test_unfinished_training_is_voided_only_where_policy_says_so(client, svc) -> None:
    (chongqing,) = await _vouchers(client, svc, [-1], VoucherStatus.ENROLLED, region="500000")
    (wuxi,) = await _vouchers(client, svc, [-1], VoucherStatus.ENROLLED, region="320200")
    policy = Policy(regions={"500000": PolicyRule(void_uncompleted_at_deadline=True)})
    assert await expire_vouchers(utcnow(), policy) == {"expired": 0, "voided": 1}
    assert (await Voucher.get(id=chongqing.id)).status == VoucherStatus.VOIDED
    assert (await Voucher.get(id=wuxi.id)).status == VoucherStatus.ENROLLED
    assert await VoucherHistory.filter(voucher_id=chongqing.id, action="voided").count() == 1
