"""The bureau revokes a voucher (作废) with a reason; a history row records it."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import BureauUser, Voucher, VoucherStatus
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row
from vouchers.identity.bureau_auth import ensure_covers

REVOCABLE = (VoucherStatus.CLAIMED, VoucherStatus.ENROLLED, VoucherStatus.COMPLETED)


async def revoke_voucher(user: BureauUser, code: str, reason: str) -> Voucher:
    voucher = await Voucher.get_or_none(code=code).prefetch_related("batch__region")
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    ensure_covers(user, voucher.batch.region)
    now = utcnow()
    async with in_transaction() as conn:
        locked = await Voucher.select_for_update().using_db(conn).get(id=voucher.id)
        if locked.status not in REVOCABLE:
            raise errors.VoucherStateConflict(f"培训券状态为 {locked.status}，不能作废")
        before = str(locked.status)
        locked.status = VoucherStatus.REVOKED
        locked.revoked_reason = reason
        await locked.save(using_db=conn, update_fields=["status", "revoked_reason", "updated_at"])
        await history_row(
            locked, "revoked", Actor("bureau", str(user.id)), now, before, detail={"reason": reason}
        ).save(using_db=conn)
        await outbox_row(
            "voucher_revoked",
            now,
            person_id=locked.person_id,
            voucher_id=locked.id,
            dedupe_key=f"voucher_revoked:{locked.id}",
        ).save(using_db=conn)
    return locked
