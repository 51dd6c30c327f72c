"""The platform reports a trainee's completion and assessment result (结业/考核), which flows into
settlement as a row of an institution's completion file does (`vouchers.settlement.completion`):
the voucher is completed (history, notice to the trainee) and a claim is filed, pending in the
bureau's queue with the computed subsidy for a pass, `failed` otherwise.

Where a class needs attendance, a course needs study: the trainee's reported hours must reach the
course's required hours. A course has no end to wait for: a trainee completes at their own pace.
The same result reported again (a retry) answers the claim filed; another result while that claim
is open is refused as the completion file refuses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import ClaimStatus, Person, SettlementClaim, Voucher, VoucherStatus
from vouchers.common import errors
from vouchers.platforms.auth import PlatformCaller
from vouchers.platforms.courses import course_of
from vouchers.platforms.enrol import platform_actor
from vouchers.platforms.progress import enrolled_voucher, studied
from vouchers.platforms.spec import CompletionSpec
from vouchers.settlement.completion import check_claimable, complete_voucher, file_claim
from vouchers.settlement.subsidy import Subsidy, compute_subsidy

PLATFORM_SUBMITTER = 0  # SettlementClaim.submitted_by_id: no staff member, the platform itself
_OPEN = (ClaimStatus.PENDING, ClaimStatus.FIRST_APPROVED, ClaimStatus.APPROVED)


@dataclass(frozen=True)
class Reported:
    claim: SettlementClaim
    voucher: Voucher
    studied_minutes: int
    repeated: bool


def _certificate(spec: CompletionSpec) -> tuple[str | None, str | None, str | None]:
    return spec.certificate_kind, spec.certificate_number, spec.certificate_level


async def report_completion(caller: PlatformCaller, spec: CompletionSpec, now: datetime) -> Reported:
    course = await course_of(caller, spec.course)
    klass = course.training_class
    voucher = await enrolled_voucher(caller, spec.voucher, course)
    done = sum((await studied(voucher.id, course)).values())
    earlier = await _same_claim(voucher, klass.id, spec)
    if earlier is not None:
        return Reported(earlier, voucher, done, repeated=True)
    if spec.passed and not (spec.certificate_kind and spec.certificate_number):
        raise errors.CertificateRequired()
    await check_claimable(voucher, klass.id)  # refuse early, without locks
    if done == 0:
        raise errors.NoStudyRecorded()
    if done < course.required_minutes:
        raise errors.StudyTooShort(
            f"已学习 {_hours(done)} 小时，课程要求 {_hours(course.required_minutes)} 小时，不能申报结业"
        )
    subsidy = (
        await compute_subsidy(voucher, klass.project_type, klass.occupation, spec.certificate_level)
        if spec.passed
        else Subsidy(0, 0, 0)
    )
    try:
        async with in_transaction() as conn:
            # The holder first, as an enrolment locks: one open claim per person and class.
            await Person.select_for_update().using_db(conn).get(id=voucher.person_id)
            locked = await Voucher.select_for_update().using_db(conn).get(id=voucher.id)
            await check_claimable(locked, klass.id, conn)
            if locked.status == VoucherStatus.ENROLLED:
                await complete_voucher(locked, platform_actor(caller), caller.institution.id, klass, now, conn)
            claim = await file_claim(
                caller.institution.id,
                PLATFORM_SUBMITTER,
                klass,
                locked,
                spec.passed,
                _certificate(spec),
                subsidy,
                now,
                conn,
            )
    except (errors.AlreadySubmitted, IntegrityError) as refused:
        # The same report at the same moment (a retry that overtook the first): its claim.
        earlier = await _same_claim(voucher, klass.id, spec)
        if earlier is not None:
            return Reported(earlier, voucher, done, repeated=True)
        if isinstance(refused, IntegrityError):
            # settlement_claim_one_per_person: filed meanwhile for the holder's other voucher
            raise errors.PersonAlreadySubmitted() from None
        raise
    return Reported(claim, locked, done, repeated=False)


async def _same_claim(voucher: Voucher, class_id: int, spec: CompletionSpec) -> SettlementClaim | None:
    """The voucher's open claim in the class if it says what `spec` says (a failed result counts
    while it is the latest: nothing is reviewed on it)."""
    claim = await SettlementClaim.filter(voucher_id=voucher.id, training_class_id=class_id).order_by("-id").first()
    if claim is None or claim.status not in (*_OPEN, ClaimStatus.FAILED):
        return None
    said = (claim.passed, claim.certificate_kind, claim.certificate_number, claim.certificate_level)
    return claim if said == (spec.passed, *_certificate(spec)) else None


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")
