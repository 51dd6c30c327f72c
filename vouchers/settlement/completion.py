"""The institution submits a class's completion and assessment results (结业/考核).

Results are filed once the class has ended (the day after its end date, local time). Each row
is checked on its own and reported row by row: the voucher is enrolled in this class, attendance
was recorded (at least the region's `min_attendance_share` of the lessons within the class's
dates; the row reports the share attended), it is not settled or already waiting for review, and
its holder has no open claim in this class with another voucher. A good row marks the voucher
completed (history row, notice to the trainee) and files a settlement claim: pending with the
computed subsidy for a pass, `failed` (nothing to pay) otherwise. Each row is one transaction
under the holder's and the voucher's row locks, so two uploads of the same file file one claim;
the partial unique index over (person, class) of open claims is the last guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import (
    ClaimStatus,
    Enrolment,
    Person,
    SettlementClaim,
    Staff,
    TrainingClass,
    Voucher,
    VoucherStatus,
)
from vouchers.batches.import_report import RowProblem
from vouchers.common import errors
from vouchers.common.clock import local_date, utcnow
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row
from vouchers.common.personal_data import normalize_id_number
from vouchers.institutions.staff_auth import ensure_commissioner
from vouchers.services import Services
from vouchers.settlement.attendance import AttendanceShare, attendance_share, percent
from vouchers.settlement.completion_file import CompletionRow
from vouchers.settlement.subsidy import Subsidy, compute_subsidy

_OPEN = (ClaimStatus.PENDING, ClaimStatus.FIRST_APPROVED, ClaimStatus.APPROVED)


@dataclass
class SubmittedRow:
    line: int
    voucher_code: str
    claim_id: int
    passed: bool
    subsidy_fen: int
    attended_lessons: int
    lessons: int
    attendance_share: float


@dataclass
class CompletionReport:
    total: int = 0
    submitted: list[SubmittedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def reject(self, line: int, error: errors.DomainError) -> None:
        self.problems.append(RowProblem(line, error.code, error.text))


async def submit_completion(svc: Services, staff: Staff, class_id: int, rows: list[CompletionRow]) -> CompletionReport:
    ensure_commissioner(staff)
    training_class = await TrainingClass.get_or_none(id=class_id, institution_id=staff.institution_id)
    if training_class is None:
        raise errors.ClassNotFound()
    if local_date(utcnow()) <= training_class.end_date:
        raise errors.ClassNotEnded(f"培训班 {training_class.end_date} 结束，结束后才能提交结业和考核结果")
    report = CompletionReport(total=len(rows))
    seen: dict[int, int] = {}  # person -> the line that named them first
    for row in rows:
        try:
            voucher = await _voucher_of(svc, training_class, row)
            if voucher.person_id in seen:  # the same trainee, by either of two vouchers
                raise errors.DuplicateRow(f"与第 {seen[voucher.person_id]} 行重复（同一学员）")
            seen[voucher.person_id] = row.line
            required = svc.policy.for_region(voucher.batch.region.path).min_attendance_share
            report.submitted.append(await _submit_row(staff, training_class, voucher, row, required))
        except errors.DomainError as problem:
            report.reject(row.line, problem)
    return report


async def _voucher_of(svc: Services, training_class: TrainingClass, row: CompletionRow) -> Voucher:
    code = row.fields.get("voucher", "").strip().upper()
    enrolments = Enrolment.filter(training_class_id=training_class.id, annulled_at=None)
    if code:
        enrolment = await enrolments.filter(voucher__code=code).first()
    elif row.fields.get("id_number"):
        person = await Person.get_or_none(id_hash=svc.keys.id_hash(normalize_id_number(row.fields["id_number"])))
        enrolment = await enrolments.filter(voucher__person_id=person.id).first() if person else None
    else:
        raise errors.InvalidInput("缺少券码或身份证号")
    if enrolment is None:
        raise errors.NotInClass()
    return await Voucher.get(id=enrolment.voucher_id).select_related("batch__region")


async def check_claimable(voucher: Voucher, class_id: int, conn: Any = None) -> None:
    """Refuse a voucher that cannot file a claim in the class now: settled, not in training, a claim
    of it open, or its holder's claim in the class open with another voucher."""
    if voucher.status == VoucherStatus.SETTLED:
        raise errors.AlreadySettled()
    if voucher.status not in (VoucherStatus.ENROLLED, VoucherStatus.COMPLETED):
        raise errors.VoucherStateConflict(f"培训券当前状态（{voucher.status}）不能提交结业")
    open_claim = await SettlementClaim.filter(voucher_id=voucher.id, status__in=_OPEN).using_db(conn).first()
    if open_claim is not None:
        raise errors.AlreadySettled() if open_claim.status == ClaimStatus.APPROVED else errors.AlreadySubmitted()
    if (
        await SettlementClaim.filter(person_id=voucher.person_id, training_class_id=class_id, status__in=_OPEN)
        .using_db(conn)
        .exists()
    ):
        raise errors.PersonAlreadySubmitted()


async def _check(voucher: Voucher, training_class: TrainingClass, required: float, conn: Any = None) -> AttendanceShare:
    """The row's refusal, or the voucher's attendance in the class."""
    await check_claimable(voucher, training_class.id, conn)
    attendance = await attendance_share(voucher.id, training_class, conn)
    if not attendance.attended:
        raise errors.NoAttendance()
    if attendance.below(required):
        raise errors.AttendanceTooLow(
            f"{attendance.text()}，低于本地区要求的 {percent(required)}，不能申报结业", required_share=required
        )
    return attendance


async def _submit_row(
    staff: Staff, training_class: TrainingClass, voucher: Voucher, row: CompletionRow, required: float
) -> SubmittedRow:
    passed = row.passed()
    if passed is None:
        raise errors.InvalidInput("考核结果应为 合格 或 不合格")
    kind = row.fields.get("certificate_kind") or None
    number = row.fields.get("certificate_number") or None
    level = row.fields.get("certificate_level") or None
    if any(len(v or "") > 32 for v in (kind, level)) or len(number or "") > 64:
        raise errors.FieldTooLong("证书类别、等级不超过32个字符，编号不超过64个字符")
    if passed and not (kind and number):
        raise errors.CertificateRequired()
    await _check(voucher, training_class, required)  # refuse early, without locks
    subsidy = (
        await compute_subsidy(voucher, training_class.project_type, training_class.occupation, level)
        if passed
        else Subsidy(0, 0, 0)
    )
    now = utcnow()
    try:
        async with in_transaction() as conn:
            # The holder first, as the scan's enrolment locks: one claim per person and class.
            await Person.select_for_update().using_db(conn).get(id=voucher.person_id)
            locked = await Voucher.select_for_update().using_db(conn).get(id=voucher.id)
            attendance = await _check(locked, training_class, required, conn)
            if locked.status == VoucherStatus.ENROLLED:
                actor = Actor("institution", str(staff.id))
                await complete_voucher(locked, actor, staff.institution_id, training_class, now, conn)
            certificate = (kind, number, level)
            claim = await file_claim(
                staff.institution_id, staff.id, training_class, locked, passed, certificate, subsidy, now, conn
            )
    except IntegrityError:
        # settlement_claim_one_per_person: filed meanwhile for the holder's other voucher
        raise errors.PersonAlreadySubmitted() from None
    return SubmittedRow(
        row.line,
        voucher.code,
        claim.id,
        passed,
        subsidy.subsidy_fen,
        attendance.attended,
        attendance.lessons,
        round(attendance.share, 3),
    )


async def file_claim(
    institution_id: int,
    submitted_by_id: int,  # the staff member; 0 for an online platform
    training_class: TrainingClass,
    voucher: Voucher,
    passed: bool,
    certificate: tuple[str | None, str | None, str | None],
    subsidy: Subsidy,
    now: datetime,
    conn: Any,
) -> SettlementClaim:
    kind, number, level = certificate
    return await SettlementClaim.create(
        voucher_id=voucher.id,
        person_id=voucher.person_id,
        batch_id=voucher.batch_id,
        training_class_id=training_class.id,
        institution_id=institution_id,
        passed=passed,
        certificate_kind=kind,
        certificate_number=number,
        certificate_level=level,
        standard_fen=subsidy.standard_fen,
        ratio_permille=subsidy.ratio_permille,
        subsidy_fen=subsidy.subsidy_fen,
        status=ClaimStatus.PENDING if passed else ClaimStatus.FAILED,
        submitted_by_id=submitted_by_id,
        submitted_at=now,
        using_db=conn,
    )


async def complete_voucher(
    voucher: Voucher, actor: Actor, institution_id: int, training_class: TrainingClass, now: datetime, conn: Any
) -> None:
    """The voucher completed (history row, notice to the trainee), in the caller's transaction."""
    before = str(voucher.status)
    voucher.status = VoucherStatus.COMPLETED
    await voucher.save(using_db=conn, update_fields=["status", "updated_at"])
    detail = {"institution_id": institution_id, "class_id": training_class.id}
    await history_row(voucher, "completed", actor, now, before, detail=detail).save(using_db=conn)
    await outbox_row(
        "voucher_completed",
        now,
        person_id=voucher.person_id,
        voucher_id=voucher.id,
        payload={"class_name": training_class.name},
        dedupe_key=f"voucher_completed:{voucher.id}",
    ).save(using_db=conn)
