"""The bureau reviews settlement claims: approve or reject (with a reason) one claim or every
claim of a class waiting for this reviewer.

A region needs one or two reviewers (`review_levels`, the nearest setting up the voucher batch's
region path). With two, the first approval only moves the claim to `first_approved` (初审通过,
first reviewer and time recorded); the second decision must be another bureau user's
(`same_reviewer` otherwise, for an approval or a rejection alike: four eyes). A rejection at
either level ends the claim. `decided_by` is always the final decider.

The final approval settles the voucher (`settled`, history row), records the payee (chosen by the
final approver), adds the certificate to the trainee's lifelong archive and queues the notices to
the trainee and the institution (the Alipay pass follows through the card-pack sync), all in one
transaction under the claim's and the voucher's row locks, so a double click or two reviewers at
once decide once. The voucher is written off (核销, history `written_off`) later, when the payment
list holding its claim is marked paid (`vouchers.payments.mark_paid`): settled means "已结算，待拨付".
A rejection keeps the voucher completed so the institution can correct and submit again.
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
from vouchers.identity.bureau_roles import Permission, ensure_may, may
from vouchers.settlement.review_levels import effective_levels

SETTLEMENT_NOTICE = "institution_settlement"  # to the institution: the bureau's decision
SETTLED_NOTICE = "voucher_settled"  # to the trainee
# The Alipay pass follows the settled voucher through the card-pack sync (platforms.alipay.card_pack).
REVIEWABLE = (ClaimStatus.PENDING, ClaimStatus.FIRST_APPROVED)


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


def level_permission(status: ClaimStatus) -> Permission:
    """The role a decision at this stage takes: 初审 for a pending claim, 复审 for a first-approved one."""
    return Permission.REVIEW_SECOND if status == ClaimStatus.FIRST_APPROVED else Permission.REVIEW_FIRST


async def decide_class(user: BureauUser, class_id: int, decision: Decision) -> list[SettlementClaim]:
    """Every claim of the class within the user's regions that waits for a decision, each by the
    same rules as one claim: those this user approved first are left to another reviewer. One
    transaction per claim, so one claim that changed meanwhile does not hold back the others."""
    decision.checked()
    if not await TrainingClass.exists(id=class_id):
        raise errors.ClassNotFound()
    waiting = [
        c
        for c in await SettlementClaim.filter(
            voucher__batch__region__path__startswith=user.region.path,
            training_class_id=class_id,
            status__in=REVIEWABLE,
        ).order_by("id")
        if not (c.status == ClaimStatus.FIRST_APPROVED and c.first_reviewer_id == user.id)
        and may(user, level_permission(c.status))  # a first reviewer's class decision skips the second level
    ]
    decided = []
    for found in waiting:
        claim = await get_claim(user, found.id)
        try:
            async with in_transaction() as conn:
                await _decide(user, claim, decision, utcnow(), conn)
        except (errors.ClaimDecided, errors.SameReviewer):
            continue
        decided.append(await get_claim(user, found.id))
    return decided


async def _decide(user: BureauUser, claim: SettlementClaim, decision: Decision, now: datetime, conn: Any) -> None:
    locked = await SettlementClaim.select_for_update().using_db(conn).get(id=claim.id)
    if locked.status not in REVIEWABLE:
        raise errors.ClaimDecided()
    if locked.status == ClaimStatus.FIRST_APPROVED and locked.first_reviewer_id == user.id:
        raise errors.SameReviewer()
    ensure_may(user, level_permission(locked.status))
    voucher = await Voucher.select_for_update().using_db(conn).get(id=claim.voucher_id)
    actor = Actor("bureau", str(user.id))
    batch = claim.voucher.batch
    if decision.approve and voucher.status != VoucherStatus.COMPLETED:
        raise errors.VoucherStateConflict(f"培训券当前状态（{voucher.status}）不能结算")
    if decision.approve and locked.status == ClaimStatus.PENDING:
        if (await effective_levels(batch.region.path, conn)).levels == 2:
            await _first_approve(user, locked, voucher, actor, now, conn)
            return
    locked.decided_by_id = user.id
    locked.decided_at = now
    locked.reason = (decision.reason or "").strip()[:200] or None
    if decision.approve:
        locked.status = ClaimStatus.APPROVED
        await _settle(voucher, locked, actor, now, conn)
        await _record_payee(locked, voucher, batch, decision, now, conn)
        await _archive_certificate(locked, voucher, claim, now, conn)
    else:
        before = str(locked.status)
        locked.status = ClaimStatus.REJECTED
        await history_row(
            voucher,
            "settlement_rejected",
            actor,
            now,
            str(voucher.status),
            detail={"claim_id": claim.id, "claim_status": before},
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


async def _first_approve(
    user: BureauUser, claim: SettlementClaim, voucher: Voucher, actor: Actor, now: datetime, conn: Any
) -> None:
    """初审通过: nothing is settled or told yet; the claim waits for a second reviewer."""
    claim.status = ClaimStatus.FIRST_APPROVED
    claim.first_reviewer_id = user.id
    claim.first_reviewed_at = now
    await claim.save(using_db=conn, update_fields=["status", "first_reviewer_id", "first_reviewed_at"])
    await history_row(
        voucher, "settlement_first_approved", actor, now, str(voucher.status), detail={"claim_id": claim.id}
    ).save(using_db=conn)


async def _settle(voucher: Voucher, claim: SettlementClaim, actor: Actor, now: datetime, conn: Any) -> None:
    before = str(voucher.status)
    voucher.status = VoucherStatus.SETTLED
    await voucher.save(using_db=conn, update_fields=["status", "updated_at"])
    detail = {"claim_id": claim.id, "subsidy_fen": claim.subsidy_fen}
    if claim.first_reviewer_id is not None:
        detail["first_reviewer_id"] = claim.first_reviewer_id
    await history_row(voucher, "settled", actor, now, before, detail=detail).save(using_db=conn)
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
