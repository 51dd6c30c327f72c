"""Giving a voucher back (退券): a trainee who will not train returns a general voucher before
enrolling, so that someone else can have it.

One transaction: the voucher becomes `returned` (its QR stops working and offline scanners list it
as unusable), a history row and the trainee's notice are written, and the unit goes back to the
batch's stock; a pending sign-up made with it lapses. Then the unit goes back to the Redis claim
gate too. The person stays one of the batch's claimants there, so cannot claim it again, unless
the batch allows claiming again after a return (`allow_reclaim_after_return`); the voucher's
partial unique index (migration 0021_trainee_notices) lets that second voucher exist. Targeted
vouchers (定向券) are issued from an institution's roster for a class, so they are not returned here."""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import Batch, ChannelAccount, DistributionMode, Signup, SignupStatus, Voucher, VoucherStatus
from vouchers.catalogue.lapse import lapse
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.common.labels import status_label
from vouchers.common.outbox import outbox_row
from vouchers.services import Services

RETURNED_NOTICE = "voucher_returned"
RETURNED_SIGNUP = "培训券已退回"


async def give_back_voucher(svc: Services, account: ChannelAccount, code: str) -> Voucher:
    if account.person_id is None:
        raise errors.IdentityRequired()
    # Someone else's voucher is "not found": codes must not be probeable.
    voucher = await Voucher.get_or_none(code=code, person_id=account.person_id).prefetch_related("batch")
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    batch = voucher.batch
    if batch.distribution == DistributionMode.TARGETED or voucher.automatic:
        raise errors.TargetedNotReturnable()
    now = utcnow()
    async with in_transaction() as conn:
        # The row lock orders this against an enrolment scanned at the same moment.
        locked = await Voucher.select_for_update().using_db(conn).get(id=voucher.id)
        if locked.status != VoucherStatus.CLAIMED:
            raise errors.NotReturnable(f"培训券{status_label(locked.status)}，只有未报名的培训券可以退券")
        if now >= locked.valid_until:
            raise errors.NotReturnable("培训券已过期，不能退券")
        locked.status = VoucherStatus.RETURNED
        await locked.save(using_db=conn, update_fields=["status", "updated_at"])
        detail = {"channel": str(account.channel)}
        await history_row(
            locked, "returned", Actor("trainee", str(account.id)), now, str(VoucherStatus.CLAIMED), detail=detail
        ).save(using_db=conn)
        await outbox_row(
            RETURNED_NOTICE,
            now,
            person_id=locked.person_id,
            voucher_id=locked.id,
            dedupe_key=f"{RETURNED_NOTICE}:{locked.id}",
        ).save(using_db=conn)
        await Batch.filter(id=batch.id).using_db(conn).update(remaining=F("remaining") + 1)
        # Its pending sign-up ends now, not at the next sweep: a place held for it is free at once.
        for signup in await Signup.filter(voucher_id=locked.id, status=SignupStatus.PENDING).using_db(conn):
            await lapse(conn, signup, locked, RETURNED_SIGNUP, now)
    # After the commit: a gate that gained the unit before it would offer a unit the database has not.
    await svc.gate.give_back(batch.id, locked.person_id, may_claim_again=batch.allow_reclaim_after_return)
    locked.batch = batch
    return locked
