"""Sign-ups lapse (已失效) when their class has started, or when their voucher can no longer pay
for it (enrolled elsewhere, expired, revoked, returned).

A class "has started" for sign-ups at the end of its first day, not at its first minute: the
first day is the usual registration day (开班报到), and a sign-up made for a class starting today
(the catalogue offers it) must still be confirmable by the registration scan that day.

What a trainee or an institution reads is computed (`effective_status`), so a sign-up reads
lapsed from that moment; the worker's sweep (`lapse_signups`) then writes it, which frees the
voucher's one pending sign-up and the place a holding class kept for it. No notice is sent: a
subscribe message spends one of the trainee's consents, kept for what they must act on; the
trainee sees 已失效 in their list.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models import Signup, SignupStatus, TrainingClass, Voucher, VoucherStatus
from vouchers.common.clock import end_of_local_day, local_date
from vouchers.common.history import SYSTEM, history_row

log = logging.getLogger(__name__)

CLASS_STARTED = "培训班已开班"
VOUCHER_GONE = "培训券已不能使用"
ENROLLED_ELSEWHERE = "已用此培训券报名其他培训班"

LAPSED_ACTION = "signup_lapsed"


def lapses_at(training_class: TrainingClass) -> datetime:
    """24:00 local time of the class's first day."""
    return end_of_local_day(training_class.start_date)


def open_until_day(now: datetime) -> date:
    """Classes starting on or after this local date still take (and keep) sign-ups."""
    return local_date(now)


def lapse_reason(signup: Signup, training_class: TrainingClass, voucher: Voucher, now: datetime) -> str | None:
    """Why a stored pending sign-up has lapsed by `now`, None if it has not."""
    if signup.status != SignupStatus.PENDING:
        return None
    if now >= lapses_at(training_class):
        return CLASS_STARTED
    if voucher.status != VoucherStatus.CLAIMED or now >= voucher.valid_until:
        return VOUCHER_GONE
    return None


def effective_status(signup: Signup, training_class: TrainingClass, voucher: Voucher, now: datetime) -> SignupStatus:
    if lapse_reason(signup, training_class, voucher, now) is not None:
        return SignupStatus.LAPSED
    return SignupStatus(signup.status)


async def lapse(conn: Any, signup: Signup, voucher: Voucher, reason: str, now: datetime) -> None:
    """Write the lapse, in the caller's transaction, which holds the voucher's row."""
    signup.status = SignupStatus.LAPSED
    signup.reason, signup.decided_at, signup.decided_by = reason, now, "system"
    await signup.save(using_db=conn, update_fields=["status", "reason", "decided_at", "decided_by"])
    detail = {"signup_id": signup.id, "class_id": signup.training_class_id, "reason": reason}
    await history_row(voucher, LAPSED_ACTION, SYSTEM, now, str(voucher.status), detail=detail).save(using_db=conn)


async def lapse_signups(now: datetime, chunk: int = 500) -> int:
    """The sweep: write every pending sign-up that has lapsed. Idempotent; each sign-up in a
    transaction of its own that locks its voucher first, the order every sign-up change takes."""
    due = Q(training_class__start_date__lt=open_until_day(now)) | ~Q(voucher__status=VoucherStatus.CLAIMED)
    due |= Q(voucher__valid_until__lte=now)
    ids = await Signup.filter(due, status=SignupStatus.PENDING).order_by("id").limit(chunk).values_list("id", flat=True)
    lapsed = 0
    for signup_id in ids:
        async with in_transaction() as conn:
            found = await Signup.get(id=signup_id).using_db(conn)
            voucher = await Voucher.select_for_update().using_db(conn).get(id=found.voucher_id)
            signup = await Signup.select_for_update().using_db(conn).get(id=signup_id)
            training_class = await TrainingClass.get(id=signup.training_class_id).using_db(conn)
            reason = lapse_reason(signup, training_class, voucher, now)
            if reason is not None:
                await lapse(conn, signup, voucher, reason, now)
                lapsed += 1
    if lapsed:
        log.info("sign-ups lapsed", extra={"lapsed": lapsed})
    return lapsed
