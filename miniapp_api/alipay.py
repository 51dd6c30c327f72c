"""Alipay mini-program API: login, face verification (start, confirm), add to card pack."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StrictBool, StringConstraints

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import AccountChannel, ChannelAccount
from peixunquan.appkeys import ALIPAY, CONFIG, SERVICES
from platforms.alipay.face_verification import confirm_alipay_verification, start_alipay_verification
from platforms.alipay.login import alipay_login
from platforms.alipay.pass_delivery_state import ask_for_card_pass
from vouchers.batches.spec import NoNul
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.notices.consent import record_consents

TAG = "alipay"


class AlipayLoginRequest(Strict):
    # my.getAuthCode gives a short printable code
    auth_code: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


class SessionOut(BaseModel):
    token: str
    expires_in: int
    verified: bool


class AlipayVerificationRequest(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=50), NoNul]
    id_number: Annotated[str, StringConstraints(min_length=1, max_length=32), NoNul]


class AlipayVerificationStarted(BaseModel):
    verification_id: str
    certify_id: str
    certify_url: str  # open it (or pass certify_id to my.startAPVerify), then confirm


class VerificationResult(BaseModel):
    verified: bool


@endpoint(
    "POST",
    "/api/v1/alipay/login",
    summary="Log in with an Alipay auth code (my.getAuthCode)",
    tag=TAG,
    body=AlipayLoginRequest,
    response=SessionOut,
)
async def login(request: web.Request, body: AlipayLoginRequest) -> SessionOut:
    svc = request.app[SERVICES]
    client = request.app[ALIPAY]
    account, token = await alipay_login(svc, client, client.settings.app_id, body.auth_code)
    return SessionOut(token=token, expires_in=svc.session_token_ttl_s, verified=account.person_id is not None)


@endpoint(
    "POST",
    "/api/v1/alipay/face-verifications",
    summary="Start Alipay face verification for a name and ID number",
    tag=TAG,
    auth="trainee",
    body=AlipayVerificationRequest,
    response=AlipayVerificationStarted,
    status=201,
)
async def start_face_verification(
    request: web.Request, account: ChannelAccount, body: AlipayVerificationRequest
) -> AlipayVerificationStarted:
    started = await start_alipay_verification(
        request.app[SERVICES],
        request.app[ALIPAY],
        account,
        body.name,
        body.id_number,
        return_url=request.app[CONFIG].server.public_url,
    )
    return AlipayVerificationStarted(
        verification_id=started.verification_id, certify_id=started.certify_id, certify_url=started.certify_url
    )


@endpoint(
    "POST",
    "/api/v1/alipay/face-verifications/{verification_id:[a-z0-9]{8,64}}/confirm",
    summary="Ask Alipay for the verdict and bind the identity when it passed",
    tag=TAG,
    auth="trainee",
    response=VerificationResult,
)
async def confirm_face_verification(request: web.Request, account: ChannelAccount) -> VerificationResult:
    await confirm_alipay_verification(
        request.app[SERVICES], request.app[ALIPAY], account, request.match_info["verification_id"]
    )
    return VerificationResult(verified=True)


class CardPackRequest(Strict):
    voucher_code: Annotated[str, StringConstraints(pattern=r"^[A-Z2-7]{16}$")]


class CardPackOut(BaseModel):
    serial_number: str
    # Where the pass really is: pending (queued for Alipay), active, used, closed (in the card
    # pack), failed (Alipay refused it: queued again by this request).
    state: Literal["pending", "active", "used", "closed", "failed"]
    message: str  # the same, for the trainee


@endpoint(
    "POST",
    "/api/v1/alipay/card-pack",
    summary="Put one of my vouchers in my Alipay card pack (delivered in the background); where it is now",
    tag=TAG,
    auth="trainee",
    body=CardPackRequest,
    response=CardPackOut,
    status=202,
)
async def add_card(request: web.Request, account: ChannelAccount, body: CardPackRequest) -> CardPackOut:
    delivery = await ask_for_card_pass(account, body.voucher_code, utcnow())
    return CardPackOut(serial_number=delivery.serial_number, state=delivery.state, message=delivery.message)


TemplateId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class SubscriptionResults(Strict):
    # What my.requestSubscribeMessage reported, per template id.
    results: dict[TemplateId, Literal["accept", "reject", "ban"]] = Field(min_length=1, max_length=20)
    long_term: StrictBool = False


class ConsentsOut(BaseModel):
    remaining: dict[str, int]


@endpoint(
    "POST",
    "/api/v1/alipay/subscriptions",
    summary="Record what I allowed in my.requestSubscribeMessage",
    tag=TAG,
    auth="trainee",
    body=SubscriptionResults,
    response=ConsentsOut,
)
async def record_subscriptions(request: web.Request, account: ChannelAccount, body: SubscriptionResults) -> ConsentsOut:
    if account.channel != AccountChannel.ALIPAY:
        raise errors.AlipayAccountRequired()
    return ConsentsOut(remaining=await record_consents(account, body.results, body.long_term))
