"""Settlement review levels per region (/api/v1/admin/settlement/review-levels): how many bureau
reviewers a claim needs, 1 or 2, within the bureau user's regions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, StringConstraints

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import BureauUser, ReviewPolicy
from vouchers.identity.bureau_auth import region_in_scope
from vouchers.identity.bureau_roles import Permission
from vouchers.settlement.review_levels import effective_levels, set_levels, settings_below

TAG = "settlement"
PATH = "/api/v1/admin/settlement/review-levels"
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class LevelsQuery(Strict):
    region: RegionCode | None = None  # default: the user's own


class LevelsIn(Strict):
    region: RegionCode
    levels: Literal[1, 2]


class SettingOut(BaseModel):
    region: str
    region_name: str
    levels: int
    updated_at: datetime

    @classmethod
    def of(cls, p: ReviewPolicy) -> SettingOut:
        return cls(region=p.region_id, region_name=p.region.name, levels=p.levels, updated_at=p.updated_at)


class LevelsOut(BaseModel):
    region: str
    region_name: str
    levels: int  # in effect for the region's claims
    set_at: str | None  # the region whose setting applies (itself or above); None: the default, 1
    settings: list[SettingOut]  # every setting in the region and below


async def _levels_of(user: BureauUser, code: str | None) -> LevelsOut:
    region = await region_in_scope(user, code)
    effective = await effective_levels(region.path)
    settings = await settings_below(region)
    return LevelsOut(
        region=region.code,
        region_name=region.name,
        levels=effective.levels,
        set_at=effective.set_at,
        settings=[SettingOut.of(p) for p in settings],
    )


@endpoint(
    "GET",
    PATH,
    summary="Review levels in effect for a region (default: mine) and the settings below it",
    tag=TAG,
    auth="bureau",
    query=LevelsQuery,
    response=LevelsOut,
)
async def get_levels(request: web.Request, user: BureauUser, query: LevelsQuery) -> LevelsOut:
    return await _levels_of(user, query.region)


@endpoint(
    "PUT",
    PATH,
    summary="Set a region's review levels: 1, or 2 (first and second reviewer, two different people)",
    tag=TAG,
    auth="bureau",
    permission=Permission.STANDARDS,
    body=LevelsIn,
    response=LevelsOut,
)
async def put_levels(request: web.Request, user: BureauUser, body: LevelsIn) -> LevelsOut:
    await set_levels(user, body.region, body.levels)
    return await _levels_of(user, body.region)
