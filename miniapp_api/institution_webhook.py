"""The commissioner sets where the institution's notices are POSTed (/api/v1/institution/webhook)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from miniapp_api.endpoint import endpoint
from models import Staff
from peixunquan.appkeys import SERVICES
from vouchers.institutions.webhooks import MIN_SECRET, remove_webhook, set_webhook

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
