"""Scans made where the network was not (以工代训 on a factory floor, a village classroom),
uploaded when it returns. The scan console checked each code itself (the published keys and the
revocation list) and queued it with its nonce and its real time; here the server applies its
rules to each as a scan of that moment, and answers per scan what it refused.

- Only verify (验券) and check-in (签到): an enrolment needs the class's places and the yearly
  limits, which only the database knows at the time, so it stays online-only.
- The code is checked at the scan's time (its time step against `scanned_at`), the voucher's
  state now: a voucher revoked meanwhile is refused, as pretix refuses a revoked ticket on sync.
- A check-in is judged by the lesson whose window held `scanned_at`. One per lesson and voucher:
  a second device's check-in of the same trainee is answered "already checked in". This is the
  trade-off against pretix's (where two offline devices may both admit one ticket): here both
  devices said yes at the door, and the second is corrected at upload, where it costs nothing.
- Late uploads are bounded (`MAX_AGE`, 72 hours) and a device clock ahead of the server's by
  more than `CLOCK_SKEW` is refused: attendance is what subsidies are paid on.
- Idempotent by nonce: an upload retried after a lost answer writes nothing twice.
- What was refused is told to the institution too (`institution_offline_refused`), not only to
  the device that uploaded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import Enrolment, Lesson, ScanRecord, Staff, TrainingClass, Voucher
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.outbox import outbox_row
from vouchers.institutions.notice_log import OFFLINE_REFUSED
from vouchers.institutions.spec import ScanAction, ScanSpec
from vouchers.qr import codes as qr
from vouchers.scanning.checkin import attend, current_lesson
from vouchers.scanning.checks import check_current, check_usable
from vouchers.services import Services

MAX_AGE = timedelta(hours=72)
CLOCK_SKEW = timedelta(minutes=5)
NOTICE_ROWS = 20
ALREADY = "already_checked_in"
ALREADY_TEXT = (
    "该学员本节课已签到（其他设备已记录），本次不重复计入"  # refusals listed in the notice; the rest are counted
)


@dataclass
class OfflineAnswer:
    nonce: str
    action: str
    result: str  # ok, error
    reason: str | None
    message: str
    voucher_code: str | None
    holder_name: str | None  # masked
    scanned_at: datetime
    replayed: bool = False
    scan_id: int | None = None

    @property
    def refused(self) -> bool:
        return self.result == "error" or self.reason == ALREADY


async def upload_offline_scans(svc: Services, staff: Staff, scans: list[ScanSpec]) -> list[OfflineAnswer]:
    now = utcnow()
    answers = [await _one(svc, staff, spec, now) for spec in scans]
    refused = [a for a in answers if a.refused and not a.replayed]
    if refused:
        await _tell_institution(staff, refused, now)
    return answers


async def _one(svc: Services, staff: Staff, spec: ScanSpec, now: datetime) -> OfflineAnswer:
    earlier = await ScanRecord.get_or_none(staff_id=staff.id, nonce=spec.nonce)
    if earlier is not None:
        return _replayed(earlier)
    voucher: Voucher | None = None
    try:
        if spec.action == ScanAction.ENROL:
            raise errors.OfflineEnrolRefused()
        if spec.scanned_at > now + CLOCK_SKEW:
            raise errors.OfflineClockAhead()
        if now - spec.scanned_at > MAX_AGE:
            raise errors.OfflineTooLate()
        verify = spec.action == ScanAction.VERIFY
        subject = qr.read(svc.qr, spec.payload, qr.VOUCHER, now=spec.scanned_at.timestamp(), static_ok=verify)
        voucher = await Voucher.get_or_none(code=subject.ident).select_related("batch", "person")
        if voucher is None:
            raise errors.VoucherNotFound()
        if verify:
            check_usable(voucher, staff.institution, spec.scanned_at)
            return await _recorded(svc, staff, spec, voucher, "ok", None, "验券通过")
        return await _checkin(svc, staff, spec, voucher)
    except errors.ScanRefused as exc:
        return await _recorded(svc, staff, spec, voucher, "error", exc.code, exc.text)


async def _checkin(svc: Services, staff: Staff, spec: ScanSpec, voucher: Voucher) -> OfflineAnswer:
    at = spec.scanned_at
    try:
        async with in_transaction() as conn:
            locked = await Voucher.select_for_update().using_db(conn).get(id=voucher.id)
            check_current(locked, at)  # revoked meanwhile: refused
            training_class = await TrainingClass.get_or_none(id=spec.class_id, institution_id=staff.institution_id)
            if training_class is None:
                raise errors.ScanClassNotFound()
            active = Enrolment.filter(voucher_id=voucher.id, training_class_id=training_class.id, annulled_at=None)
            if not await active.using_db(conn).exists():
                raise errors.NotEnrolled()
            try:
                lesson = await current_lesson(training_class, at, spec.lesson_id)
            except errors.NoLessonNow:
                raise errors.NoLessonNow("扫码时不在该培训班的签到时间内") from None
            row, new = await attend(conn, lesson, locked, "scan", at)
            if not new:
                return await _recorded(svc, staff, spec, voucher, "ok", ALREADY, ALREADY_TEXT, lesson, conn)
            answer = await _recorded(svc, staff, spec, voucher, "ok", None, "签到成功", lesson, conn)
            row.scan_id = answer.scan_id
            await row.save(using_db=conn, update_fields=["scan_id"])
            return answer
    except errors.ScanRefused as exc:
        return await _recorded(svc, staff, spec, voucher, "error", exc.code, exc.text)
    except IntegrityError:
        # The same trainee's check-in written by another upload a moment ago.
        return await _recorded(
            svc,
            staff,
            spec,
            voucher,
            "ok",
            "already_checked_in",
            "该学员本节课已签到（其他设备已记录），本次不重复计入",
        )


async def _recorded(
    svc: Services,
    staff: Staff,
    spec: ScanSpec,
    voucher: Voucher | None,
    result: str,
    reason: str | None,
    message: str,
    lesson: Lesson | None = None,
    conn: object = None,
) -> OfflineAnswer:
    holder = None
    if voucher is not None:
        holder = svc.masked_holders.of(voucher.person.name_cipher, voucher.person.id_cipher)[0]
    answer = OfflineAnswer(
        spec.nonce,
        str(spec.action),
        result,
        reason,
        message,
        voucher.code if voucher else None,
        holder,
        spec.scanned_at,
    )
    try:
        record = await ScanRecord.create(
            institution_id=staff.institution_id,
            staff_id=staff.id,
            nonce=spec.nonce,
            device=spec.device,
            action=str(spec.action),
            voucher_id=voucher.id if voucher else None,
            class_id=spec.class_id if spec.action == ScanAction.CHECKIN else None,
            lesson_id=lesson.id if lesson else None,
            result=result,
            reason=reason,
            answer=_as_dict(answer),
            scanned_at=spec.scanned_at,
            offline=True,
            using_db=conn,
        )
    except IntegrityError:
        if conn is not None:
            raise  # the transaction is spoilt: the caller answers from the winner's record
        earlier = await ScanRecord.get(staff_id=staff.id, nonce=spec.nonce)
        return _replayed(earlier)
    answer.scan_id = record.id
    return answer


def _as_dict(a: OfflineAnswer) -> dict:
    return {
        "nonce": a.nonce,
        "action": a.action,
        "result": a.result,
        "reason": a.reason,
        "message": a.message,
        "voucher_code": a.voucher_code,
        "holder_name": a.holder_name,
        "scanned_at": a.scanned_at.isoformat(),
    }


def _replayed(record: ScanRecord) -> OfflineAnswer:
    a = record.answer
    return OfflineAnswer(
        a.get("nonce", record.nonce),
        a.get("action", record.action),
        a.get("result", record.result),
        a.get("reason", record.reason),
        a.get("message", ""),
        a.get("voucher_code"),
        a.get("holder_name"),
        record.scanned_at,
        replayed=True,
    )


async def _tell_institution(staff: Staff, refused: list[OfflineAnswer], now: datetime) -> None:
    rows = [
        {
            "action": "签到" if a.action == "checkin" else "验券",
            "voucher_code": a.voucher_code or "—",
            "holder_name": a.holder_name or "—",
            "message": a.message,
        }
        for a in refused[:NOTICE_ROWS]
    ]
    payload = {
        "institution_id": staff.institution_id,
        "staff": staff.display_name or staff.username,
        "count": len(refused),
        "rows": rows,
        "more": max(0, len(refused) - NOTICE_ROWS),
    }
    await outbox_row(OFFLINE_REFUSED, now, payload=payload).save()
