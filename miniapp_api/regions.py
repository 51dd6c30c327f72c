"""The region tree for choosers on the trainee's pages (/api/v1/regions): public names and codes."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint
from models import ChannelAccount, Region


class RegionItem(BaseModel):
    code: str
    name: str
    parent: str | None
    depth: int


class RegionItems(BaseModel):
    items: list[RegionItem]


@endpoint(
    "GET", "/api/v1/regions", summary="Every region, in tree order", tag="trainee", auth="trainee", response=RegionItems
)
async def regions(request: web.Request, account: ChannelAccount) -> RegionItems:
    rows = await Region.all().order_by("path")
    return RegionItems(
        items=[RegionItem(code=r.code, name=r.name, parent=r.parent_id, depth=r.path.count("/")) for r in rows]
    )
