"""The institution declines a pending sign-up (婉拒) with a reason, which the trainee is told
(`signup_declined`). Any active staff member of the institution may: the desk that scans the
registrations handles the sign-ups too. Confirming is the registration scan (confirm.py)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import Signup, SignupStatus, Staff, TrainingClass
from vouchers.catalogue.pending import locked_pending, refuse_if_lapsed
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row

DECLINED = "signup_declined"  # the history action and the trainee's notice


async def decline_signup(staff: Staff, signup_id: int, reason: str) -> Signup:
    found = await Signup.get_or_none(id=signup_id, institution_id=staff.institution_id)
    if found is None:
        raise errors.SignupNotFound()
    now = utcnow()
    async with in_transaction() as conn:
        signup, voucher = await locked_pending(conn, found, now)
        if signup.status == SignupStatus.PENDING:
            signup.status = SignupStatus.DECLINED
            signup.reason, signup.decided_at, signup.decided_by = reason, now, f"institution:{staff.id}"
            await signup.save(using_db=conn, update_fields=["status", "reason", "decided_at", "decided_by"])
            klass = await TrainingClass.get(id=signup.training_class_id).using_db(conn)
            detail = {"signup_id": signup.id, "class_id": klass.id, "reason": reason}
            actor = Actor("institution", str(staff.id))
            await history_row(voucher, DECLINED, actor, now, str(voucher.status), detail=detail).save(using_db=conn)
            await outbox_row(
                "signup_declined",
                now,
                person_id=voucher.person_id,
                voucher_id=voucher.id,
                payload={"signup_id": signup.id, "class_name": klass.name, "reason": reason},
                dedupe_key=f"signup_declined:{signup.id}",
            ).save(using_db=conn)
    refuse_if_lapsed(signup)
    return signup
