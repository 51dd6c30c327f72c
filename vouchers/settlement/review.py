"""The bureau reviews settlement claims: approve or reject (with a reason) one claim or every
pending claim of a class.

Approval settles the voucher (history row; deduction and targeted vouchers are written off
automatically, Wuxi's targeted+deduction model), records the payee, adds the certificate to
the trainee's lifelong archive and queues the notices to the trainee and the institution (the
Alipay pass follows through the card-pack sync), all in one transaction under the claim's and
the voucher's row locks, so a double click or two reviewers at once settle once. A rejection keeps
the voucher completed so the institution can correct and submit again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from models import (
    BureauUser,
    Certificate,
    ClaimStatus,
    DistributionMode,
    Payee,
    PayeeKind,
    SettlementClaim,
    TrainingClass,
    ValueMode,
    Voucher,
    VoucherStatus,
)
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row
from vouchers.identity.bureau_auth import ensure_covers

SETTLEMENT_NOTICE = "institution_settlement"  # to the institution: the bureau's decision
SETTLED_NOTICE = "voucher_settled"  # to the trainee
# The Alipay pass follows the settled voucher through the card-pack sync (platforms.alipay.card_pack).


@dataclass(frozen=True)
class Decision:
    approve: bool
    reason: str | None = None
    payee: PayeeKind | None = None  # default: by the voucher's value mode
    employer_name: str | None = None

    def checked(self) -> Decision:
        if not self.approve and not (self.reason or "").strip():
            raise errors.ReasonRequired()
        if self.payee == PayeeKind.EMPLOYER and not (self.employer_name or "").strip():
            raise errors.InvalidInput("支付给用人单位时须填写单位名称", field="employer_name")
        return self


def _scoped(user: BureauUser) -> Any:
    return SettlementClaim.filter(voucher__batch__region__path__startswith=user.region.path)


async def list_claims(
    user: BureauUser, status: ClaimStatus | None, class_id: int | None, limit: int, offset: int
) -> list[SettlementClaim]:
    query = _scoped(user)
    if status:
        query = query.filter(status=status)
    if class_id:
        query = query.filter(training_class_id=class_id)
    return (
        await query.order_by("id")
        .offset(offset)
        .limit(limit)
        .prefetch_related("voucher__batch", "voucher__person", "training_class", "institution")
    )


async def get_claim(user: BureauUser, claim_id: int) -> SettlementClaim:
    claim = await SettlementClaim.get_or_none(id=claim_id).prefetch_related(
        "voucher__batch__region", "voucher__person", "training_class", "institution"
    )
    if claim is None:
        raise errors.ClaimNotFound()
    ensure_covers(user, claim.voucher.batch.region)
    return claim


async def decide_claim(user: BureauUser, claim_id: int, decision: Decision) -> SettlementClaim:
    decision.checked()
    claim = await get_claim(user, claim_id)
    async with in_transaction() as conn:
        await _decide(user, claim, decision, utcnow(), conn)
    return await get_claim(user, claim_id)


async def decide_class(user: BureauUser, class_id: int, decision: Decision) -> list[SettlementClaim]:
    """Every pending claim of the class within the user's regions; one transaction per claim, so
    one claim that changed meanwhile does not hold back the others."""
    decision.checked()
    if not await TrainingClass.exists(id=class_id):
        raise errors.ClassNotFound()
    pending = await _scoped(user).filter(training_class_id=class_id, status=ClaimStatus.PENDING).order_by("id")
    decided = []
    for found in pending:
        claim = await get_claim(user, found.id)
        try:
            async with in_transaction() as conn:
                await _decide(user, claim, decision, utcnow(), conn)
        except errors.ClaimDecided:
            continue
        decided.append(await get_claim(user, found.id))
    return decided


async def _decide(user: BureauUser, claim: SettlementClaim, decision: Decision, now: datetime, conn: Any) -> None:
    locked = await SettlementClaim.select_for_update().using_db(conn).get(id=claim.id)
    if locked.status != ClaimStatus.PENDING:
        raise errors.ClaimDecided()
    voucher = await Voucher.select_for_update().using_db(conn).get(id=claim.voucher_id)
    locked.decided_by_id = user.id
    locked.decided_at = now
    locked.reason = (decision.reason or "").strip()[:200] or None
    actor = Actor("bureau", str(user.id))
    batch = claim.voucher.batch
    if decision.approve:
        if voucher.status != VoucherStatus.COMPLETED:
            raise errors.VoucherStateConflict(f"培训券当前状态（{voucher.status}）不能结算")
        locked.status = ClaimStatus.APPROVED
        await _settle(voucher, claim, batch, actor, now, conn)
        await _record_payee(locked, voucher, batch, decision, now, conn)
        await _archive_certificate(locked, voucher, claim, now, conn)
    else:
        locked.status = ClaimStatus.REJECTED
        await history_row(
            voucher, "settlement_rejected", actor, now, str(voucher.status), detail={"claim_id": claim.id}
        ).save(using_db=conn)
    await locked.save(using_db=conn, update_fields=["status", "decided_by_id", "decided_at", "reason"])
    await outbox_row(
        SETTLEMENT_NOTICE,
        now,
        voucher_id=voucher.id,
        payload={
            "institution_id": claim.institution_id,
            "class_id": claim.training_class_id,
            "class_name": claim.training_class.name,
            "voucher_code": voucher.code,
            "decision": "approved" if decision.approve else "rejected",
            "subsidy_fen": claim.subsidy_fen if decision.approve else 0,
            "reason": locked.reason,
        },
        dedupe_key=f"{SETTLEMENT_NOTICE}:{claim.id}",
    ).save(using_db=conn)


def writes_off_automatically(batch: Any) -> bool:
    """Deduction and targeted vouchers are the proof of the subsidy, nothing the trainee spends:
    they are written off (核销) by the approval itself."""
    return batch.value_mode == ValueMode.DEDUCTION or batch.distribution == DistributionMode.TARGETED


async def _settle(voucher: Voucher, claim: SettlementClaim, batch: Any, actor: Actor, now: datetime, conn: Any) -> None:
    before = str(voucher.status)
    voucher.status = VoucherStatus.SETTLED
    await voucher.save(using_db=conn, update_fields=["status", "updated_at"])
    automatic = writes_off_automatically(batch)
    await history_row(
        voucher,
        "written_off" if automatic else "settled",
        actor,
        now,
        before,
        automatic=automatic,
        detail={"claim_id": claim.id, "subsidy_fen": claim.subsidy_fen},
    ).save(using_db=conn)
    await outbox_row(
        SETTLED_NOTICE,
        now,
        person_id=voucher.person_id,
        voucher_id=voucher.id,
        payload={"subsidy_fen": claim.subsidy_fen},
        dedupe_key=f"{SETTLED_NOTICE}:{voucher.id}",
    ).save(using_db=conn)


def default_payee(batch: Any) -> PayeeKind:
    """A face-value voucher is spent at the institution, which is paid; a deduction voucher
    proves the trainee's own claim, paid to the social-security card's bank account."""
    return PayeeKind.INSTITUTION if batch.value_mode == ValueMode.FACE_VALUE else PayeeKind.TRAINEE


async def _record_payee(
    claim: SettlementClaim, voucher: Voucher, batch: Any, decision: Decision, now: datetime, conn: Any
) -> None:
    kind = decision.payee or default_payee(batch)
    await Payee.create(
        claim_id=claim.id,
        kind=kind,
        person_id=voucher.person_id if kind == PayeeKind.TRAINEE else None,
        institution_id=claim.institution_id if kind == PayeeKind.INSTITUTION else None,
        employer_name=(decision.employer_name or "").strip()[:100] if kind == PayeeKind.EMPLOYER else None,
        amount_fen=claim.subsidy_fen,
        recorded_at=now,
        using_db=conn,
    )


async def _archive_certificate(
    claim: SettlementClaim, voucher: Voucher, loaded: SettlementClaim, now: datetime, conn: Any
) -> None:
    if not (claim.passed and claim.certificate_kind and claim.certificate_number):
        return
    exists = (
        await Certificate.filter(
            person_id=voucher.person_id, kind=claim.certificate_kind, number=claim.certificate_number
        )
        .using_db(conn)
        .exists()
    )
    if exists:  # the same certificate reached the archive by another claim
        return
    training_class = loaded.training_class
    await Certificate.create(
        person_id=voucher.person_id,
        claim_id=claim.id,
        kind=claim.certificate_kind,
        number=claim.certificate_number,
        level=claim.certificate_level,
        occupation=training_class.occupation,
        project_type=training_class.project_type,
        institution_name=loaded.institution.name,
        class_name=training_class.name,
        voucher_code=voucher.code,
        issued_at=now,
        using_db=conn,
    )
