"""The trainee withdraws a pending sign-up (取消报名): the voucher is free for another class,
and a place the class held for it is given back."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import ChannelAccount, Signup, SignupStatus
from vouchers.catalogue.pending import locked_pending, refuse_if_lapsed
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row

CANCELLED = "signup_cancelled"


async def cancel_signup(account: ChannelAccount, signup_id: int) -> Signup:
    if account.person_id is None:
        raise errors.IdentityRequired()
    found = await Signup.get_or_none(id=signup_id, person_id=account.person_id)
    if found is None:
        raise errors.SignupNotFound()
    now = utcnow()
    async with in_transaction() as conn:
        signup, voucher = await locked_pending(conn, found, now)
        if signup.status == SignupStatus.PENDING:
            signup.status = SignupStatus.CANCELLED
            signup.decided_at, signup.decided_by = now, "trainee"
            await signup.save(using_db=conn, update_fields=["status", "decided_at", "decided_by"])
            detail = {"signup_id": signup.id, "class_id": signup.training_class_id}
            actor = Actor("trainee", str(account.id))
            await history_row(voucher, CANCELLED, actor, now, str(voucher.status), detail=detail).save(using_db=conn)
    refuse_if_lapsed(signup)  # a lapse written above stays written
    return signup
