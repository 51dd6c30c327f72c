"""Statistics against targets and the streamed voucher export (/api/v1/admin/statistics, ...)."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import BureauUser
from peixunquan.appkeys import SERVICES
from vouchers.common.clock import local_date, utcnow
from vouchers.identity.bureau_roles import Permission
from vouchers.reporting.export import export_csv, export_scope
from vouchers.reporting.export_xlsx import export_xlsx
from vouchers.reporting.statistics import Period, RegionFigures, region_statistics

TAG = "statistics"


class StatisticsQuery(Strict):
    region: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = None
    year: int = Field(default_factory=lambda: local_date(utcnow()).year, ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)


class ExportQuery(StatisticsQuery):
    all_time: bool = False  # every voucher, whatever the period


class Figures(BaseModel):
    issued: int
    claimed: int
    enrolled: int
    completed: int
    settled: int
    expired: int
    subsidy_fen: int
    checkins: int = 0
    manual_checkins: int = 0  # of the check-ins, made by hand (补签)
    evaluations: int = 0  # evaluations given (培训评价)
    evaluation_score: float | None = Field(None, description="Their mean score, 1-5")
    signups: int = 0  # sign-ups (报名) made online in the period


class RegionRow(BaseModel):
    code: str
    name: str
    figures: Figures
    issue_target: int
    use_target: int
    issue_rate: float | None
    use_rate: float | None

    @classmethod
    def of(cls, r: RegionFigures) -> RegionRow:
        return cls(
            code=r.code,
            name=r.name,
            figures=Figures(
                **{k: v for k, v in r.figures.items() if k != "evaluation_points"},
                evaluation_score=r.evaluation_score,
            ),
            issue_target=r.issue_target,
            use_target=r.use_target,
            issue_rate=r.issue_rate,
            use_rate=r.use_rate,
        )


class StatisticsOut(BaseModel):
    year: int
    month: int | None
    region: RegionRow  # the region itself, rolled up over everything below it
    children: list[RegionRow]  # each region directly below, rolled up


@endpoint(
    "GET",
    "/api/v1/admin/statistics",
    summary="Figures per region (rolled up the region tree) and period, against the yearly targets",
    tag=TAG,
    auth="bureau",
    query=StatisticsQuery,
    response=StatisticsOut,
)
async def statistics(request: web.Request, user: BureauUser, query: StatisticsQuery) -> StatisticsOut:
    rows = await region_statistics(user, query.region, Period(query.year, query.month))
    return StatisticsOut(
        year=query.year, month=query.month, region=RegionRow.of(rows[0]), children=[RegionRow.of(r) for r in rows[1:]]
    )


@endpoint(
    "GET",
    "/api/v1/admin/exports/vouchers.csv",
    summary="Vouchers of my regions as CSV (streamed), with ID numbers for my own regions",
    tag=TAG,
    auth="bureau",
    permission=Permission.EXPORT,
    query=ExportQuery,
)
async def export_vouchers(request: web.Request, user: BureauUser, query: ExportQuery) -> web.StreamResponse:
    scope = await export_scope(user, query.region)  # refusals happen before the first byte
    period = None if query.all_time else Period(query.year, query.month)
    name = f"vouchers-{query.region or user.region_id}-{'all' if period is None else query.year}.csv"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    async with aclosing(export_csv(request.app[SERVICES].keys, scope, period)) as chunks:
        try:
            async for chunk in chunks:
                await response.write(chunk)  # waits while the client is slower than the database
        except ConnectionResetError:
            # The client went away (where the server does not cancel the handler on a lost
            # connection, the next write says so): stop reading, nothing to report.
            return response
    await response.write_eof()
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_CHUNK = 1 << 20


@endpoint(
    "GET",
    "/api/v1/admin/exports/vouchers.xlsx",
    summary="Vouchers of my regions as XLSX (ID numbers as text), the same rows as the CSV",
    tag=TAG,
    auth="bureau",
    permission=Permission.EXPORT,
    query=ExportQuery,
)
async def export_vouchers_xlsx(request: web.Request, user: BureauUser, query: ExportQuery) -> web.StreamResponse:
    scope = await export_scope(user, query.region)
    period = None if query.all_time else Period(query.year, query.month)
    name = f"vouchers-{query.region or user.region_id}-{'all' if period is None else query.year}.xlsx"
    path = await export_xlsx(request.app[SERVICES].keys, scope, period)
    try:
        response = web.StreamResponse(
            headers={
                "Content-Type": XLSX,
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            }
        )
        await response.prepare(request)
        with path.open("rb") as file:
            while chunk := await asyncio.to_thread(file.read, FILE_CHUNK):
                try:
                    await response.write(chunk)
                except ConnectionResetError:
                    return response  # the client went away
        await response.write_eof()
        return response
    finally:
        path.unlink(missing_ok=True)  # it holds decrypted ID numbers
