"""Outbox send function: a notice to institution staff as an Official Account template
message, to every follower bound to the staff member (vouchers.institutions.staff_binding).

Payload contract of `kind = "staff_notice"` rows: {"staff_id": int, "data": {field: text},
"url": optional link, "miniprogram": optional {appid, pagepath}}. Returns the msgids (comma
separated) or raises a `channels.errors` error. `client_msg_id` is derived from the row, so a
retry after a lost answer is dropped by WeChat instead of notifying twice.
"""

from __future__ import annotations

from typing import Protocol

from channels import errors as channel_errors
from models import OutboxMessage, WechatDelivery
from vouchers.institutions.staff_binding import staff_recipients


class TemplateSender(Protocol):
    app_id: str

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: dict[str, str],
        client_msg_id: str,
        url: str | None = None,
        miniprogram: dict[str, str] | None = None,
    ) -> str: ...


async def send_staff_notice(message: OutboxMessage, client: TemplateSender, template_id: str) -> str:
    payload = message.payload or {}
    staff_id, data = payload.get("staff_id"), payload.get("data")
    if not isinstance(staff_id, int) or not isinstance(data, dict) or not data:
        raise channel_errors.BadData("staff_notice needs staff_id and data")
    bindings = await staff_recipients(staff_id, client.app_id)
    if not bindings:
        raise channel_errors.BadRecipient("the staff member has bound no WeChat follower")
    sent: list[str] = []
    for binding in bindings:
        msg_id = await client.send_template(
            binding.openid,
            template_id,
            {str(k): str(v) for k, v in data.items()},
            client_msg_id=f"pxq-outbox-{message.id}-{binding.id}",
            url=payload.get("url"),
            miniprogram=payload.get("miniprogram"),
        )
        if not await WechatDelivery.filter(msg_id=msg_id).exists():
            await WechatDelivery.create(msg_id=msg_id, outbox_id=message.id)
        sent.append(msg_id)
    return ",".join(sent)
