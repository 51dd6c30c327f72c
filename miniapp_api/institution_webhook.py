"""The commissioner sets where the institution's notices are POSTed (/api/v1/institution/webhook),
sends a signed test event there and reads the latest deliveries."""

from __future__ import annotations

import secrets
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from channels.webhook import WebhookSender
from miniapp_api.endpoint import endpoint
from models import Staff
from peixunquan.appkeys import SERVICES, WECHAT
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.platform_errors import ChannelError
from vouchers.institutions.notice_log import KIND_TEXT, STATUS_TEXT, error_text, webhook_deliveries
from vouchers.institutions.staff_auth import ensure_commissioner
from vouchers.institutions.webhooks import MIN_SECRET, remove_webhook, set_webhook, webhook_for

TAG = "institutions"
PATH = "/api/v1/institution/webhook"


class WebhookSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=500, description="http(s) URL that receives POSTed JSON notices")
    secret: str = Field(
        min_length=MIN_SECRET, max_length=128, description="signs each POST: X-Pxq-Signature = sha256=HMAC(ts.body)"
    )


class WebhookOut(BaseModel):
    url: str


class Removed(BaseModel):
    removed: bool


class WebhookDeliveryOut(BaseModel):
    at: datetime
    event: str  # the notice's kind, in Chinese
    status: str  # 已送达, 等待发送, 失败
    attempts: int
    error: str | None


class WebhookState(BaseModel):
    url: str | None  # None: not set
    deliveries: list[WebhookDeliveryOut]


class TestResult(BaseModel):
    ok: bool
    message: str


@endpoint("GET", PATH, summary="The webhook and its latest deliveries", tag=TAG, auth="staff", response=WebhookState)
async def get_webhook(request: web.Request, staff: Staff) -> WebhookState:
    target = await webhook_for(request.app[SERVICES].keys, staff.institution_id)
    rows = await webhook_deliveries(staff.institution_id)
    return WebhookState(
        url=target[0] if target else None,
        deliveries=[
            WebhookDeliveryOut(
                at=r.sent_at or r.created_at,
                event=KIND_TEXT.get(str(r.payload.get("event", {}).get("event")), "通知"),
                status=STATUS_TEXT.get(str(r.status), str(r.status)),
                attempts=r.attempts,
                error=error_text(r.last_error),
            )
            for r in rows
        ],
    )


@endpoint(
    "POST",
    PATH + "/test",
    summary="Send a signed test event to the webhook now (commissioner)",
    tag=TAG,
    auth="staff",
    response=TestResult,
)
async def test_webhook(request: web.Request, staff: Staff) -> TestResult:
    ensure_commissioner(staff)
    svc = request.app[SERVICES]
    target = await webhook_for(svc.keys, staff.institution_id)
    if target is None:
        raise errors.NotFound("尚未设置推送地址")
    url, secret = target
    # The same sender as the worker's, so the test shows what a real notice would meet.
    sender = WebhookSender(request.app[WECHAT].session, timeout_s=10, allow_private=svc.allow_private_webhooks)
    event = {
        "event": "test",
        "institution_id": staff.institution_id,
        "message": "这是一条测试推送",
        "at": utcnow().isoformat(),
    }
    try:
        await sender.post(url, secret, event, f"test:{secrets.token_hex(8)}")
    except ChannelError as exc:
        return TestResult(ok=False, message=_why(exc))
    return TestResult(ok=True, message="推送成功：对方已确认收到（HTTP 2xx）")


def _why(exc: ChannelError) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, int) and 100 <= code < 600:
        return f"推送失败：对方回复 HTTP {code}（需回复 2xx 表示收到）"
    text = str(exc)
    if "refused" in text or "address" in text:
        return "推送失败：该地址不允许接收推送（内网或本机地址）"
    return "推送失败：无法连接该地址或连接超时，请检查网址和对方服务器"


@endpoint(
    "PUT",
    PATH,
    summary="Set the institution's webhook (commissioner)",
    tag=TAG,
    auth="staff",
    body=WebhookSpec,
    response=WebhookOut,
)
async def put_webhook(request: web.Request, staff: Staff, body: WebhookSpec) -> WebhookOut:
    svc = request.app[SERVICES]
    hook = await set_webhook(svc.keys, staff, body.url, body.secret, allow_private=svc.allow_private_webhooks)
    return WebhookOut(url=hook.url)


@endpoint(
    "DELETE", PATH, summary="Remove the institution's webhook (commissioner)", tag=TAG, auth="staff", response=Removed
)
async def delete_webhook(request: web.Request, staff: Staff) -> Removed:
    await remove_webhook(staff)
    return Removed(removed=True)
