"""A member's latest scans, for the scan console's recent list."""

from __future__ import annotations

from typing import Any

from models import ScanRecord, TrainingClass
from models.sql.scan_rows import Scanner
from vouchers.common.clock import utcnow
from vouchers.scanning.annul import annullable
from vouchers.scanning.scan import replay


async def my_recent_scans(staff: Scanner, limit: int, annul_window_s: int) -> list[dict[str, Any]]:
    """The member's latest scans, each with its class's name and whether it can still be annulled."""
    rows = await ScanRecord.filter(staff_id=staff.id).order_by("-id").limit(limit)
    class_ids = {r.class_id for r in rows if r.class_id}
    names = dict(await TrainingClass.filter(id__in=class_ids).values_list("id", "name")) if class_ids else {}
    now = utcnow()
    return [
        {
            **(_offline(r) if r.offline else replay(r)),
            "replayed": False,
            "annulled": r.annulled_at is not None,
            "annullable": annullable(r, staff.id, annul_window_s, now),
            "class_name": names.get(r.class_id),
        }
        for r in rows
    ]


def _offline(record: ScanRecord) -> dict[str, Any]:
    """An uploaded offline scan in the shape of an online scan's answer. Its stored answer is the
    upload's (`vouchers.scanning.offline_upload`), which has no class, lesson or voucher summary:
    those come from the record, and the voucher is left out (the upload's own table names it)."""
    a = record.answer
    return {
        "result": record.result,
        "reason": record.reason,
        "message": a.get("message", ""),
        "action": record.action,
        "scan_id": record.id,
        "class_id": record.class_id,
        "lesson_id": record.lesson_id,
        "voucher": None,
        "at": record.created_at.isoformat(),
    }
