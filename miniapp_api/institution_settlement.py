"""The institution's side of settlement: its claims per class with their status and subsidy, and
the completion template to fill in."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint, path_int
from models import Staff
from peixunquan.appkeys import SERVICES
from vouchers.common.clock import local_date, utcnow
from vouchers.settlement.completion_file import XLSX_TYPE
from vouchers.settlement.institution_claims import STATUS_TEXT, class_claims, completion_template, own_class

TAG = "settlement"
CLASS_ITEM = "/api/v1/institution/classes/{class_id:\\d{1,9}}"


class InstitutionClaimOut(BaseModel):
    voucher_code: str
    name: str  # masked
    status: str  # pending, approved, rejected, failed
    status_text: str  # 待审核, 已通过, 已驳回, 考核未通过
    reason: str | None
    passed: bool
    subsidy_fen: int
    submitted_at: datetime
    decided_at: datetime | None


class ClassClaims(BaseModel):
    class_id: int
    class_name: str
    end_date: date
    ended: bool  # results may be uploaded only after the end date
    items: list[InstitutionClaimOut]
    pending_fen: int
    approved_fen: int


@endpoint(
    "GET",
    CLASS_ITEM + "/claims",
    summary="My class's settlement claims: each trainee's status and subsidy",
    tag=TAG,
    auth="staff",
    response=ClassClaims,
)
async def get_class_claims(request: web.Request, staff: Staff) -> ClassClaims:
    class_id = path_int(request, "class_id")
    training_class = await own_class(staff, class_id)
    claims = await class_claims(staff, class_id, request.app[SERVICES].masked_holders)
    items = [InstitutionClaimOut(**vars(c), status_text=STATUS_TEXT.get(c.status, c.status)) for c in claims]
    return ClassClaims(
        class_id=class_id,
        class_name=training_class.name,
        end_date=training_class.end_date,
        ended=local_date(utcnow()) > training_class.end_date,
        items=items,
        pending_fen=sum(c.subsidy_fen for c in claims if c.status in ("pending", "first_approved")),
        approved_fen=sum(c.subsidy_fen for c in claims if c.status == "approved"),
    )


@endpoint(
    "GET",
    CLASS_ITEM + "/completion-template.xlsx",
    summary="The completion file to fill in: the class's enrolled trainees, results blank",
    tag=TAG,
    auth="staff",
)
async def get_template(request: web.Request, staff: Staff) -> web.Response:
    name, body = await completion_template(staff, path_int(request, "class_id"), request.app[SERVICES].masked_holders)
    filename = quote(f"结业考核结果-{name}.xlsx")
    headers = {
        "Content-Disposition": f"attachment; filename=\"completion.xlsx\"; filename*=UTF-8''{filename}",
        "Cache-Control": "no-store",
    }
    return web.Response(body=body, content_type=XLSX_TYPE, headers=headers)
