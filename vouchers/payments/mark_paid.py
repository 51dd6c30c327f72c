"""Mark a drafted payment list paid (已拨付) with the transfer's reference, and write off (核销)
its vouchers: one `written_off` history row per voucher (settled -> settled: the voucher's status
stays `settled`, which every reader already treats as used up; the history and the paid list say
it was paid). All in one transaction under the list's row lock, so two clicks or two clerks at
once pay once: the second is told the list is paid (409).

No notice goes out here: the trainee was told at approval (`voucher_settled`), and the transfer
is between the bureau and the payee."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import (
    BureauUser,
    PaymentList,
    PaymentListLine,
    PaymentListStatus,
    SettlementClaim,
    Voucher,
    VoucherHistory,
    VoucherStatus,
)
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.payments.lists import get_payment_list

WRITTEN_OFF = "written_off"


def refuse_unless_drafted(payment_list: PaymentList) -> None:
    if payment_list.status == PaymentListStatus.PAID:
        raise errors.PaymentListPaid()
    if payment_list.status == PaymentListStatus.CANCELLED:
        raise errors.PaymentListCancelled()


async def mark_paid(user: BureauUser, list_id: int, payment_ref: str) -> PaymentList:
    await get_payment_list(user, list_id)  # in scope
    now = utcnow()
    actor = Actor("bureau", str(user.id))
    async with in_transaction() as conn:
        locked = await PaymentList.select_for_update().using_db(conn).get(id=list_id)
        refuse_unless_drafted(locked)
        lines = await PaymentListLine.filter(payment_list_id=locked.id, live=True).using_db(conn)
        claims = {
            c.voucher_id: c
            for c in await SettlementClaim.filter(id__in=[line.claim_id for line in lines]).using_db(conn)
        }
        vouchers = await Voucher.select_for_update().using_db(conn).filter(id__in=list(claims)).order_by("id")
        rows = []
        for voucher in vouchers:
            if voucher.status != VoucherStatus.SETTLED:
                raise errors.VoucherStateConflict(f"培训券 {voucher.code} 当前状态（{voucher.status}）不能核销")
            claim = claims[voucher.id]
            detail = {
                "claim_id": claim.id,
                "subsidy_fen": claim.subsidy_fen,
                "payment_list_id": locked.id,
                "payment_list": locked.number,
                "payment_ref": payment_ref,
            }
            rows.append(history_row(voucher, WRITTEN_OFF, actor, now, str(voucher.status), detail=detail))
        await VoucherHistory.bulk_create(rows, using_db=conn)
        locked.status = PaymentListStatus.PAID
        locked.payment_ref = payment_ref
        locked.paid_by_id = user.id
        locked.paid_at = now
        await locked.save(using_db=conn, update_fields=["status", "payment_ref", "paid_by_id", "paid_at"])
    return await get_payment_list(user, list_id)
