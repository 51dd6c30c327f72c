"""WeChat mini-program API: login, face verification 2.0, subscribe-message consent."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import ChannelAccount
from peixunquan.appkeys import SERVICES, WECHAT
from platforms.wechat.face_verification import confirm_wechat_verification, start_wechat_verification
from platforms.wechat.login import login_with_code
from vouchers.batches.spec import NoNul
from vouchers.common import errors
from vouchers.common.personal_data import mask_id_number
from vouchers.notices.consent import record_consents

TAG = "wechat"
# wx.login codes are 32 letters and digits (the sandbox's also "sandbox<user>.<anything>");
# anything else is refused before WeChat is asked.
Code = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[0-9A-Za-z._-]+$")]
TemplateId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class WechatLoginRequest(Strict):
    code: Code


class SessionOut(BaseModel):
    token: str
    expires_in: int
    verified: bool


class FaceStartRequest(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=50), NoNul]
    id_number: Annotated[str, StringConstraints(min_length=15, max_length=24), NoNul]


class FaceStartOut(BaseModel):
    out_seq_no: str
    verify_id: str = Field(description="pass to wx.requestFacialVerify")


class FaceConfirmRequest(Strict):
    out_seq_no: Annotated[str, StringConstraints(min_length=1, max_length=64), NoNul]


class FaceConfirmOut(BaseModel):
    verified: bool
    id_number_masked: str


class ConsentRequest(Strict):
    # What wx.requestSubscribeMessage returned: {template id: accept | reject | ban | filter}
    results: dict[TemplateId, Literal["accept", "reject", "ban", "filter"]] = Field(min_length=1, max_length=10)
    long_term: bool = False


class ConsentOut(BaseModel):
    remaining: dict[str, int]


@endpoint(
    "POST",
    "/api/v1/wechat/login",
    summary="Log in with a wx.login code",
    tag=TAG,
    body=WechatLoginRequest,
    response=SessionOut,
)
async def wechat_login(request: web.Request, body: WechatLoginRequest) -> SessionOut:
    svc = request.app[SERVICES]
    account, token = await login_with_code(svc, request.app[WECHAT].miniapp, body.code)
    return SessionOut(token=token, expires_in=svc.session_token_ttl_s, verified=account.person_id is not None)


@endpoint(
    "POST",
    "/api/v1/wechat/face-verifications",
    summary="Start face verification: -> verify_id",
    tag=TAG,
    auth="trainee",
    body=FaceStartRequest,
    response=FaceStartOut,
    status=201,
)
async def start_face(request: web.Request, account: ChannelAccount, body: FaceStartRequest) -> FaceStartOut:
    out_seq_no, verify_id = await start_wechat_verification(
        request.app[SERVICES], request.app[WECHAT].miniapp, account, body.name, body.id_number
    )
    return FaceStartOut(out_seq_no=out_seq_no, verify_id=verify_id)


@endpoint(
    "POST",
    "/api/v1/wechat/face-verifications/confirm",
    summary="After wx.requestFacialVerify: the server asks WeChat for the verdict",
    tag=TAG,
    auth="trainee",
    body=FaceConfirmRequest,
    response=FaceConfirmOut,
)
async def confirm_face(request: web.Request, account: ChannelAccount, body: FaceConfirmRequest) -> FaceConfirmOut:
    svc = request.app[SERVICES]
    person = await confirm_wechat_verification(svc, request.app[WECHAT].miniapp, account, body.out_seq_no)
    return FaceConfirmOut(verified=True, id_number_masked=mask_id_number(svc.keys.decrypt(person.id_cipher, b"id")))


@endpoint(
    "POST",
    "/api/v1/wechat/subscriptions",
    summary="Report wx.requestSubscribeMessage results",
    tag=TAG,
    auth="trainee",
    body=ConsentRequest,
    response=ConsentOut,
)
async def report_consent(request: web.Request, account: ChannelAccount, body: ConsentRequest) -> ConsentOut:
    if account.channel != "wechat_miniapp":
        raise errors.WechatOnly()
    return ConsentOut(remaining=await record_consents(account, dict(body.results), body.long_term))
