"""The trainee's own account (/api/v1/me, /api/v1/logout): the bound identity, masked, the
channels the person is known on, and 退出."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import LoggedOut
from models import ChannelAccount
from peixunquan.appkeys import SERVICES
from vouchers.identity.sessions import end_sessions
from vouchers.identity.trainee_me import me

TAG = "trainee"


class ChannelOut(BaseModel):
    channel: str
    channel_text: str
    bound_at: datetime | None
    this_one: bool = Field(description="The account this session belongs to")


class MeOut(BaseModel):
    verified: bool
    name: str | None = Field(description="Masked (王*明)")
    id_number: str | None = Field(description="Masked (3202**********0012)")
    channels: list[ChannelOut]


@endpoint(
    "GET", "/api/v1/me", summary="My bound identity (masked) and channels", tag=TAG, auth="trainee", response=MeOut
)
async def get_me(request: web.Request, account: ChannelAccount) -> MeOut:
    found = await me(request.app[SERVICES].keys, account)
    return MeOut(
        verified=found.verified,
        name=found.name,
        id_number=found.id_number,
        channels=[ChannelOut(**asdict(c)) for c in found.channels],
    )


@endpoint(
    "POST",
    "/api/v1/logout",
    summary="退出: every session token of this account stops working",
    tag=TAG,
    auth="trainee",
    response=LoggedOut,
)
async def logout(request: web.Request, account: ChannelAccount) -> LoggedOut:
    await end_sessions(request.app[SERVICES], account)
    return LoggedOut()
