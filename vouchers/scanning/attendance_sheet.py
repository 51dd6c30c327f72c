"""The attendance sheet of a class (考勤表) as XLSX: one row per enrolled trainee with their
full name and ID number as text (the institution's own trainees; the sheet is what they sign),
one column per lesson with the status in Chinese, the share, and what the manual check-ins were
for. Through XlsxBook, so no cell can run as a formula."""

from __future__ import annotations

import asyncio
from datetime import datetime

from vouchers.common.clock import LOCAL_TZ
from vouchers.common.spreadsheets import XlsxBook
from vouchers.scanning.class_attendance import ClassAttendance, Mark
from vouchers.settlement.attendance import percent

STATUS = {"scan": "扫码签到", "location": "定位签到", "manual": "补签"}


def _status(mark: Mark | None, starts_at: datetime, now: datetime) -> str:
    if mark is not None:
        return STATUS.get(mark.method, mark.method)
    return "未开始" if starts_at > now else "缺勤"


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _rows(sheet: ClassAttendance, now: datetime) -> list[list[object]]:
    lessons = sheet.lessons
    held = [lesson.id for lesson in lessons if lesson.starts_at <= now]
    columns = [f"第{i}次课 {_local(x.starts_at)}" for i, x in enumerate(lessons, 1)]
    header = ["序号", "姓名", "身份证号码", "培训券号", *columns, "出勤", "出勤率", "补签说明"]
    rows: list[list[object]] = [[f"培训班：{sheet.training_class.name}"], header]
    for n, t in enumerate(sheet.trainees, 1):
        attended = t.attended(held)
        notes = [
            f"第{i}次课：{m.reason}（{m.by or '机构人员'}）"
            for i, x in enumerate(lessons, 1)
            if (m := t.marks.get(x.id)) is not None and m.method == "manual"
        ]
        rows.append(
            [
                n,
                t.full_name,
                t.full_id_number,
                t.voucher_code,
                *[_status(t.marks.get(x.id), x.starts_at, now) for x in lessons],
                f"{attended}/{len(held)}",
                percent(attended / len(held)) if held else "—",
                "；".join(notes),
            ]
        )
    return rows


async def attendance_sheet(sheet: ClassAttendance, now: datetime) -> bytes:
    book = XlsxBook("考勤表")
    book.append(_rows(sheet, now))
    return await asyncio.to_thread(book.to_bytes)
