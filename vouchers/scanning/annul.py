"""A staff member annuls their own successful scan within the window (15 minutes by default).

Nothing is deleted: the scan, the enrolment or the attendance are marked annulled and the
voucher's history gets a new row. Annulling an enrolment gives the voucher back (claimed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import Attendance, Enrolment, ScanRecord, Staff, TrainingClass, Voucher, VoucherStatus
from vouchers.catalogue.confirm import reopen_on_annulment
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.services import Services

ANNULLABLE_ACTIONS = ("enrol", "checkin")


def annullable(record: ScanRecord, staff_id: int, window_s: int, now: datetime) -> bool:
    """Whether `staff_id` can still annul `record` (what annul_scan checks before its row locks)."""
    return (
        record.staff_id == staff_id
        and record.result == "ok"
        and not record.answer.get("reason")
        and record.action in ANNULLABLE_ACTIONS
        and record.annulled_at is None
        and now - record.created_at <= timedelta(seconds=window_s)
    )


async def annul_scan(svc: Services, staff: Staff, scan_id: int) -> ScanRecord:
    now = utcnow()
    async with in_transaction() as conn:
        record = await ScanRecord.select_for_update().using_db(conn).get_or_none(id=scan_id)
        if record is None or record.institution_id != staff.institution_id:
            raise errors.ScanNotFound()
        # A verify changed nothing, so there is nothing to undo: only enrolments and check-ins.
        if record.staff_id != staff.id or record.result != "ok" or record.answer.get("reason"):
            raise errors.AnnulNotAllowed()
        if record.action not in ANNULLABLE_ACTIONS:
            raise errors.AnnulNotAllowed()
        if record.annulled_at is not None:
            raise errors.AlreadyAnnulled()
        if now - record.created_at > timedelta(seconds=svc.annul_window_s):
            raise errors.AnnulNotAllowed()
        actor = Actor("institution", str(staff.id))
        detail = {"scan_id": record.id, "institution_id": staff.institution_id}
        if record.action == "enrol":
            enrolment = await Enrolment.select_for_update().using_db(conn).get(scan_id=record.id)
            voucher = await Voucher.select_for_update().using_db(conn).get(id=enrolment.voucher_id)
            if voucher.status != VoucherStatus.ENROLLED or enrolment.annulled_at is not None:
                raise errors.VoucherStateConflict("培训券状态已变化，不能撤销")
            enrolment.annulled_at = now
            await enrolment.save(using_db=conn, update_fields=["annulled_at"])
            await TrainingClass.filter(id=enrolment.training_class_id).using_db(conn).update(enrolled=F("enrolled") - 1)
            voucher.status = VoucherStatus.CLAIMED
            voucher.used_at = None
            voucher.used_occupation = None
            await voucher.save(using_db=conn, update_fields=["status", "used_at", "used_occupation", "updated_at"])
            await history_row(voucher, "enrolment_annulled", actor, now, "enrolled", detail=detail).save(using_db=conn)
            await reopen_on_annulment(conn, enrolment.id)
        elif record.action == "checkin":
            attendance = await Attendance.select_for_update().using_db(conn).get(scan_id=record.id)
            attendance.annulled_at = now
            await attendance.save(using_db=conn, update_fields=["annulled_at"])
            voucher = await Voucher.get(id=attendance.voucher_id).using_db(conn)
            detail["lesson_id"] = attendance.lesson_id
            await history_row(voucher, "checkin_annulled", actor, now, str(voucher.status), detail=detail).save(
                using_db=conn
            )
        record.annulled_at = now
        await record.save(using_db=conn, update_fields=["annulled_at"])
    return record
