"""A voucher's sealed history and the daily roots of the history (/api/v1/admin/...), for the
bureau's history page and its auditors. See docs/history.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import BureauUser
from peixunquan.appkeys import SERVICES
from vouchers.audit.daily_roots import DailyRoot, daily_roots, roots_csv
from vouchers.audit.history_names import HistoryNames
from vouchers.audit.voucher_history import Entry, voucher_history
from vouchers.common.clock import local_date, utcnow
from vouchers.common.labels import action_label, status_label

TAG = "history"


class HistoryVoucher(BaseModel):
    code: str
    status: str
    status_label: str
    batch_id: int
    batch_title: str
    holder_name: str = Field(description="Masked (王*明)")
    holder_id_number: str = Field(description="Masked (3201**********1234)")


class HistoryRow(BaseModel):
    id: int
    at: datetime
    action: str
    action_label: str
    actor_kind: str
    actor_id: str | None
    actor_name: str = Field(description="Who, in words: 人社部门 · 王静, 某培训学校 · 张三, 持券人本人, 系统（自动）")
    context: dict[str, str] = Field(description="The institution and class the row names by id, by name (机构, 培训班)")
    from_status: str | None
    from_status_label: str | None
    to_status: str
    to_status_label: str
    automatic: bool
    detail: dict[str, Any]
    row_hash: str | None
    intact: bool | None = Field(description="false: the row fails its seal; null: written before sealing began")
    problems: list[str] = Field(description="What is wrong with this row, in Chinese")

    @classmethod
    def of(cls, entry: Entry, names: HistoryNames) -> HistoryRow:
        h = entry.row
        return cls(
            id=h.id,
            at=h.at,
            action=h.action,
            action_label=action_label(h.action),
            actor_kind=h.actor_kind,
            actor_id=h.actor_id,
            actor_name=names.actor(h),
            context=names.context(h),
            from_status=h.from_status,
            from_status_label=status_label(h.from_status),
            to_status=h.to_status,
            to_status_label=status_label(h.to_status) or h.to_status,
            automatic=h.automatic,
            detail=h.detail if isinstance(h.detail, dict) else {"value": h.detail},
            row_hash=h.row_hash,
            intact=entry.intact,
            problems=entry.problems,
        )


class HistoryBreak(BaseModel):
    history_id: int
    problem: str


class VoucherHistoryOut(BaseModel):
    voucher: HistoryVoucher
    intact: bool = Field(description="No row of this voucher fails its seal or its link")
    rows: list[HistoryRow]
    breaks: list[HistoryBreak]


@endpoint(
    "GET",
    "/api/v1/admin/vouchers/{code:[A-Z2-7]{16}}/history",
    summary="A voucher of my regions: its history, each row checked against its seal",
    tag=TAG,
    auth="bureau",
    response=VoucherHistoryOut,
)
async def get_voucher_history(request: web.Request, user: BureauUser) -> VoucherHistoryOut:
    view = await voucher_history(user, request.match_info["code"], request.app[SERVICES].masked_holders)
    v = view.voucher
    return VoucherHistoryOut(
        voucher=HistoryVoucher(
            code=v.code,
            status=view.status,
            status_label=status_label(view.status) or view.status,
            batch_id=v.batch_id,
            batch_title=v.batch.title,
            holder_name=view.holder_name,
            holder_id_number=view.holder_id_number,
        ),
        intact=view.intact,
        rows=[HistoryRow.of(e, view.names) for e in view.entries],
        breaks=[HistoryBreak(history_id=b.history_id, problem=b.problem) for b in view.breaks],
    )


class RootsQuery(Strict):
    date_from: date = Field(default_factory=lambda: local_date(utcnow()))
    date_to: date = Field(default_factory=lambda: local_date(utcnow()))
    format: Literal["json", "csv"] = "json"


class RootOut(BaseModel):
    date: date
    count: int
    root: str
    complete: bool = Field(description="The day has ended; a root of an unfinished day will still change")

    @classmethod
    def of(cls, r: DailyRoot) -> RootOut:
        return cls(date=r.day, count=r.count, root=r.root, complete=r.complete)


class RootsOut(BaseModel):
    region: str = Field(description="The roots cover the vouchers of this region's batches and below")
    roots: list[RootOut]


@endpoint(
    "GET",
    "/api/v1/admin/history/roots",
    summary="Daily roots of the voucher history of my regions, to keep outside the system (?format=csv to download)",
    tag=TAG,
    auth="bureau",
    query=RootsQuery,
    response=RootsOut,
)
async def get_history_roots(request: web.Request, user: BureauUser, query: RootsQuery) -> RootsOut | web.Response:
    roots = await daily_roots(query.date_from, query.date_to, user.region.path)
    if query.format == "csv":
        name = f"培训券历史日根-{user.region_id}-{query.date_from:%Y%m%d}-{query.date_to:%Y%m%d}.csv"
        ascii_name = f"history-roots-{user.region_id}-{query.date_from:%Y%m%d}-{query.date_to:%Y%m%d}.csv"
        return web.Response(
            body=roots_csv(roots).encode(),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "no-store",
            },
        )
    return RootsOut(region=user.region_id, roots=[RootOut.of(r) for r in roots])
