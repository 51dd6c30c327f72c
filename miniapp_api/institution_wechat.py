"""A staff member's WeChat: the QR code that binds a follower of the Official Account to receive
this member's institution notices, the followers bound, and unbinding."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint, path_int
from models import Staff
from peixunquan.appkeys import WECHAT
from platforms.wechat.staff_binding_qr import staff_binding_qr
from vouchers.common import errors
from vouchers.common.platform_errors import ChannelError
from vouchers.institutions.staff_binding import bindings_of, follower_label, unbind

TAG = "institution"
BINDINGS = "/api/v1/institution/wechat/bindings"


class BindingQrOut(BaseModel):
    image: str  # data:image/png;base64,...
    expires_at: datetime


class BindingOut(BaseModel):
    id: int
    follower: str  # 微信用户（尾号 abcd）
    bound_at: datetime


class BindingList(BaseModel):
    items: list[BindingOut]


class Unbound(BaseModel):
    removed: bool = True


@endpoint(
    "POST",
    "/api/v1/institution/wechat/binding-qr",
    summary="A QR code to scan with WeChat: the follower receives my institution notices",
    tag=TAG,
    auth="staff",
    response=BindingQrOut,
)
async def binding_qr(request: web.Request, staff: Staff) -> BindingQrOut:
    try:
        made = await staff_binding_qr(request.app[WECHAT].official, staff)
    except ChannelError:
        raise errors.ServiceBusy("暂时无法从微信获取二维码，请稍后再试") from None
    return BindingQrOut(image=made.image, expires_at=made.expires_at)


@endpoint("GET", BINDINGS, summary="Followers receiving my notices", tag=TAG, auth="staff", response=BindingList)
async def list_bindings(request: web.Request, staff: Staff) -> BindingList:
    return BindingList(
        items=[
            BindingOut(id=b.id, follower=follower_label(b.openid), bound_at=b.bound_at)
            for b in await bindings_of(staff.id)
        ]
    )


@endpoint(
    "DELETE", BINDINGS + "/{binding_id:\\d{1,12}}", summary="Unbind a follower", tag=TAG, auth="staff", response=Unbound
)
async def remove_binding(request: web.Request, staff: Staff) -> Unbound:
    await unbind(staff.id, path_int(request, "binding_id"))
    return Unbound()
