"""Subsidy standards, ratios and yearly targets (/api/v1/admin/standards, /ratios, /targets):
what the bureau pays per project and group from which year, and what it is measured against."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import BureauUser
from vouchers.batches.spec import NoNul
from vouchers.identity.bureau_roles import Permission
from vouchers.reporting.targets import list_targets, set_target
from vouchers.settlement.standards import list_standards, set_ratio, set_standard

TAG = "settlement"
ADMIN = "/api/v1/admin/settlement"  # standards and ratios belong to settlement; targets read as well
Year = Annotated[int, Field(ge=2000, le=2100)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Text = Annotated[str, StringConstraints(max_length=64, strip_whitespace=True), NoNul]


class StandardSpec(Strict):
    region: RegionCode
    project_type: Annotated[str, StringConstraints(min_length=1, max_length=32, strip_whitespace=True), NoNul]
    occupation: Text = ""
    level: Annotated[str, StringConstraints(max_length=32, strip_whitespace=True), NoNul] = ""
    amount_fen: int = Field(ge=0, le=100_000_000)
    effective_year: Year = Field(2021, description="Applies to vouchers of this year and later")


class RatioSpec(Strict):
    region: RegionCode
    eligible_group: Annotated[str, StringConstraints(min_length=1, max_length=32, strip_whitespace=True), NoNul]
    ratio_permille: int = Field(ge=0, le=2000)
    effective_year: Year = 2021


class StandardOut(BaseModel):
    region: str
    region_name: str = Field("", description="Named also for a standard inherited from a region above mine")
    project_type: str
    occupation: str
    level: str
    amount_fen: int
    effective_year: int


class RatioOut(BaseModel):
    region: str
    region_name: str = Field("", description="Named also for a ratio inherited from a region above mine")
    eligible_group: str
    ratio_permille: int
    effective_year: int


class StandardsOut(BaseModel):
    standards: list[StandardOut]
    ratios: list[RatioOut]


class TargetSpec(Strict):
    region: RegionCode
    year: Year
    issue_target: int = Field(ge=0, le=100_000_000)
    use_target: int = Field(ge=0, le=100_000_000)


class TargetOut(BaseModel):
    region: str
    region_name: str
    year: int
    issue_target: int
    use_target: int


class TargetQuery(Strict):
    year: Year


class TargetList(BaseModel):
    items: list[TargetOut]


def _standard(s) -> StandardOut:
    return StandardOut(
        region=s.region_id,
        region_name=getattr(s.region, "name", ""),  # "" where the region was not fetched
        project_type=s.project_type,
        occupation=s.occupation,
        level=s.level,
        amount_fen=s.amount_fen,
        effective_year=s.effective_year,
    )


def _ratio(r) -> RatioOut:
    return RatioOut(
        region=r.region_id,
        region_name=getattr(r.region, "name", ""),
        eligible_group=r.eligible_group,
        ratio_permille=r.ratio_permille,
        effective_year=r.effective_year,
    )


@endpoint(
    "GET", ADMIN + "/standards", summary="Subsidy standards and ratios", tag=TAG, auth="bureau", response=StandardsOut
)
async def get_standards(request: web.Request, user: BureauUser) -> StandardsOut:
    standards, ratios = await list_standards(user)
    return StandardsOut(standards=[_standard(s) for s in standards], ratios=[_ratio(r) for r in ratios])


@endpoint(
    "PUT",
    ADMIN + "/standards",
    summary="Set a subsidy standard from a year on",
    tag=TAG,
    auth="bureau",
    permission=Permission.STANDARDS,
    body=StandardSpec,
    response=StandardOut,
)
async def put_standard(request: web.Request, user: BureauUser, body: StandardSpec) -> StandardOut:
    s = await set_standard(
        user, body.region, body.project_type, body.occupation, body.level, body.amount_fen, body.effective_year
    )
    return _standard(s)


@endpoint(
    "PUT",
    ADMIN + "/ratios",
    summary="Set the subsidy ratio of an eligible group from a year on",
    tag=TAG,
    auth="bureau",
    permission=Permission.STANDARDS,
    body=RatioSpec,
    response=RatioOut,
)
async def put_ratio(request: web.Request, user: BureauUser, body: RatioSpec) -> RatioOut:
    r = await set_ratio(user, body.region, body.eligible_group, body.ratio_permille, body.effective_year)
    return _ratio(r)


@endpoint(
    "GET",
    "/api/v1/admin/targets",
    summary="Yearly targets of my regions",
    tag=TAG,
    auth="bureau",
    query=TargetQuery,
    response=TargetList,
)
async def get_targets(request: web.Request, user: BureauUser, query: TargetQuery) -> TargetList:
    rows = await list_targets(user, query.year)
    return TargetList(
        items=[
            TargetOut(
                region=t.region_id,
                region_name=t.region.name,
                year=t.year,
                issue_target=t.issue_target,
                use_target=t.use_target,
            )
            for t in rows
        ]
    )


@endpoint(
    "PUT",
    "/api/v1/admin/targets",
    summary="Set a region's yearly issue and use targets",
    tag=TAG,
    auth="bureau",
    permission=Permission.STANDARDS,
    body=TargetSpec,
    response=TargetOut,
)
async def put_target(request: web.Request, user: BureauUser, body: TargetSpec) -> TargetOut:
    t = await set_target(user, body.region, body.year, body.issue_target, body.use_target)
    await t.fetch_related("region")
    return TargetOut(
        region=t.region_id, region_name=t.region.name, year=t.year, issue_target=t.issue_target, use_target=t.use_target
    )
