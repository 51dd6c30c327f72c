"""What an institution sees of its own settlement: per class, each trainee's claim (the latest
per voucher: a rejected claim may be filed again) with its status, reason and subsidy, and the
completion template pre-filled with the class's enrolled trainees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import Enrolment, SettlementClaim, Staff, TrainingClass
from vouchers.common import errors
from vouchers.common.spreadsheets import XlsxBook
from vouchers.scanning.summary import MaskedHolders

STATUS_TEXT = {
    "pending": "待审核",
    "first_approved": "初审通过，待复审",
    "approved": "已通过",
    "rejected": "已驳回",
    "failed": "考核未通过",
}
TEMPLATE_HEADER = ["培训券号", "姓名", "考核结果", "证书类别", "证书编号", "证书等级"]


@dataclass(frozen=True)
class InstitutionClaim:
    voucher_code: str
    name: str  # masked
    status: str
    reason: str | None
    passed: bool
    subsidy_fen: int
    submitted_at: datetime
    decided_at: datetime | None


async def own_class(staff: Staff, class_id: int) -> TrainingClass:
    found = await TrainingClass.get_or_none(id=class_id, institution_id=staff.institution_id)
    if found is None:
        raise errors.ClassNotFound()
    return found


async def class_claims(staff: Staff, class_id: int, holders: MaskedHolders) -> list[InstitutionClaim]:
    await own_class(staff, class_id)
    claims = (
        await SettlementClaim.filter(training_class_id=class_id, institution_id=staff.institution_id)
        .order_by("submitted_at", "id")
        .prefetch_related("voucher__person")
    )
    latest: dict[int, SettlementClaim] = {}
    for c in claims:
        latest[c.voucher_id] = c  # ordered by time: the last one wins
    out = []
    for c in latest.values():
        person = c.voucher.person
        name, _ = holders.of(person.name_cipher, person.id_cipher)
        out.append(
            InstitutionClaim(
                c.voucher.code, name, str(c.status), c.reason, c.passed, c.subsidy_fen, c.submitted_at, c.decided_at
            )
        )
    return out


async def completion_template(staff: Staff, class_id: int, holders: MaskedHolders) -> tuple[str, bytes]:
    """-> the class's name and an XLSX with one row per enrolled trainee, results left blank."""
    training_class = await own_class(staff, class_id)
    enrolments = (
        await Enrolment.filter(training_class_id=class_id, annulled_at=None)
        .order_by("enrolled_at", "id")
        .prefetch_related("voucher__person")
    )
    book = XlsxBook("结业考核结果")
    rows: list[list[object]] = [TEMPLATE_HEADER]
    for e in enrolments:
        person = e.voucher.person
        rows.append([e.voucher.code, holders.of(person.name_cipher, person.id_cipher)[0], "", "", "", ""])
    book.append(rows)
    return training_class.name, book.to_bytes()
