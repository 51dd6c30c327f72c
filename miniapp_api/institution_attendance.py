"""A class's attendance for the institution: who is enrolled, who checked in at which lesson and
how, manual check-ins (补签) with a reason, and the attendance sheet as XLSX."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import Strict
from models import Staff
from peixunquan.appkeys import SERVICES
from vouchers.batches.spec import NoNul
from vouchers.common.clock import utcnow
from vouchers.scanning.attendance_sheet import attendance_sheet
from vouchers.scanning.class_attendance import METHODS, class_attendance
from vouchers.scanning.manual_checkin import manual_checkin

TAG = "institution"
CLASS_ITEM = "/api/v1/institution/classes/{class_id:\\d{1,9}}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AttendanceQuery(Strict):
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), NoNul] = Field(
        "", description="Part of a trainee's name"
    )


class LessonCount(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime
    checked_in: int


class MarkOut(BaseModel):
    lesson_id: int
    method: str  # scan, location, manual
    method_text: str  # 扫码, 定位, 补签
    at: datetime
    reason: str | None = None
    by: str | None = None


class TraineeOut(BaseModel):
    voucher_code: str
    name: str  # masked
    id_number: str  # masked
    enrolled_at: datetime
    attended: int
    held: int  # lessons started so far
    marks: list[MarkOut]


class AttendanceOut(BaseModel):
    class_id: int
    class_name: str
    enrolled: int
    capacity: int
    lessons: list[LessonCount]
    trainees: list[TraineeOut]


class ManualSpec(Strict):
    lesson_id: int = Field(ge=1, le=2_000_000_000)
    voucher_code: Annotated[str, StringConstraints(pattern=r"^[A-Z2-7]{16}$")]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100), NoNul]


@endpoint(
    "GET",
    CLASS_ITEM + "/attendance",
    summary="A class's trainees and who checked in at each lesson, and how",
    tag=TAG,
    auth="staff",
    query=AttendanceQuery,
    response=AttendanceOut,
)
async def get_attendance(request: web.Request, staff: Staff, query: AttendanceQuery) -> AttendanceOut:
    found = await class_attendance(request.app[SERVICES], staff, path_int(request, "class_id"), query.q)
    now = utcnow()
    held = [lesson.id for lesson in found.lessons if lesson.starts_at <= now]
    k = found.training_class
    return AttendanceOut(
        class_id=k.id,
        class_name=k.name,
        enrolled=k.enrolled,
        capacity=k.capacity,
        lessons=[
            LessonCount(id=x.id, starts_at=x.starts_at, ends_at=x.ends_at, checked_in=found.checked_in(x.id))
            for x in found.lessons
        ],
        trainees=[
            TraineeOut(
                voucher_code=t.voucher_code,
                name=t.name,
                id_number=t.id_number,
                enrolled_at=t.enrolled_at,
                attended=t.attended(held),
                held=len(held),
                marks=[
                    MarkOut(
                        lesson_id=lesson_id,
                        method=m.method,
                        method_text=METHODS.get(m.method, m.method),
                        at=m.at,
                        reason=m.reason,
                        by=m.by,
                    )
                    for lesson_id, m in t.marks.items()
                ],
            )
            for t in found.trainees
        ],
    )


@endpoint(
    "POST",
    CLASS_ITEM + "/attendance/manual",
    summary="Manual check-in (补签) of an enrolled trainee, with a reason",
    tag=TAG,
    auth="staff",
    body=ManualSpec,
    response=MarkOut,
    status=201,
)
async def post_manual(request: web.Request, staff: Staff, body: ManualSpec) -> MarkOut:
    row = await manual_checkin(staff, path_int(request, "class_id"), body.lesson_id, body.voucher_code, body.reason)
    return MarkOut(
        lesson_id=row.lesson_id,
        method=row.method,
        method_text=METHODS[row.method],
        at=row.checked_in_at,
        reason=row.manual_reason,
        by=staff.display_name or staff.username,
    )


@endpoint(
    "GET",
    CLASS_ITEM + "/attendance.xlsx",
    summary="The class's attendance sheet (考勤表) as XLSX: names and ID numbers as text",
    tag=TAG,
    auth="staff",
)
async def get_sheet(request: web.Request, staff: Staff) -> web.Response:
    found = await class_attendance(request.app[SERVICES], staff, path_int(request, "class_id"), identities=True)
    body = await attendance_sheet(found, utcnow())
    name = quote(f"考勤表-{found.training_class.name}.xlsx")
    headers = {
        "Content-Disposition": f"attachment; filename=\"attendance.xlsx\"; filename*=UTF-8''{name}",
        "Cache-Control": "no-store",
    }
    return web.Response(body=body, content_type=XLSX, headers=headers)
