"""Cancel (作废) a drafted payment list: its claims go back to the pool for the next gathering.
The list keeps its number and its lines (no longer live), as nothing is deleted; a paid list
cannot be cancelled (409)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import BureauUser, PaymentList, PaymentListLine, PaymentListStatus
from vouchers.common.clock import utcnow
from vouchers.payments.lists import get_payment_list
from vouchers.payments.mark_paid import refuse_unless_drafted


async def cancel_list(user: BureauUser, list_id: int) -> PaymentList:
    await get_payment_list(user, list_id)  # in scope
    now = utcnow()
    async with in_transaction() as conn:
        locked = await PaymentList.select_for_update().using_db(conn).get(id=list_id)
        refuse_unless_drafted(locked)
        await PaymentListLine.filter(payment_list_id=locked.id, live=True).using_db(conn).update(live=None)
        locked.status = PaymentListStatus.CANCELLED
        locked.cancelled_by_id = user.id
        locked.cancelled_at = now
        await locked.save(using_db=conn, update_fields=["status", "cancelled_by_id", "cancelled_at"])
    return await get_payment_list(user, list_id)
