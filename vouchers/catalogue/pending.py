"""Take a pending sign-up to change it: its voucher's row first, then the sign-up's, the order
every sign-up change takes (the enrolment scan holds the voucher when it confirms a sign-up)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Signup, SignupStatus, TrainingClass, Voucher
from vouchers.catalogue.lapse import lapse, lapse_reason
from vouchers.common import errors

LAPSED_TEXT = "该报名已失效（培训班已开班，或培训券已不能使用）"


async def locked_pending(conn: Any, found: Signup, now: datetime) -> tuple[Signup, Voucher]:
    """`found` (read without a lock) again under the locks; refused unless it is still pending.
    One that has lapsed meanwhile is written so and comes back lapsed: the caller lets the
    transaction commit, then refuses (`refuse_if_lapsed`)."""
    voucher = await Voucher.select_for_update().using_db(conn).get(id=found.voucher_id)
    signup = await Signup.select_for_update().using_db(conn).get(id=found.id)
    if signup.status == SignupStatus.LAPSED:
        raise errors.SignupNotPending(LAPSED_TEXT)
    if signup.status != SignupStatus.PENDING:
        raise errors.SignupNotPending()
    training_class = await TrainingClass.get(id=signup.training_class_id).using_db(conn)
    reason = lapse_reason(signup, training_class, voucher, now)
    if reason is not None:
        await lapse(conn, signup, voucher, reason, now)
    return signup, voucher


def refuse_if_lapsed(signup: Signup) -> None:
    if signup.status == SignupStatus.LAPSED:
        raise errors.SignupNotPending(LAPSED_TEXT)
