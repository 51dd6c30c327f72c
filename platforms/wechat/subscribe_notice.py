"""Voucher notices as WeChat mini-program subscribe messages (`cgi-bin/message/subscribe/send`),
on the channel-independent `send_subscribe_notice`. The fields (thing1, phrase2, date3, thing4)
are those of the 培训券状态通知 template configured as `[wechat] voucher_template_id`; WeChat's
msgid is kept as a `WechatDelivery`, so its delivery report finds the outbox row."""

from __future__ import annotations

from typing import Protocol

from models import AccountChannel, ChannelAccount, OutboxMessage, WechatDelivery
from vouchers.notices.subscribe_sender import VoucherNotice, send_subscribe_notice


class SubscribeSender(Protocol):
    app_id: str

    async def send_subscribe(
        self, openid: str, template_id: str, data: dict[str, str], page: str | None = None, state: str = "formal"
    ) -> str: ...


def _thing(text: str) -> str:
    return text if len(text) <= 20 else text[:19] + "…"  # thing.DATA: at most 20 characters


class WechatSubscribe:
    channel = AccountChannel.WECHAT_MINIAPP

    def __init__(self, client: SubscribeSender) -> None:
        self.client = client
        self.app_id = client.app_id

    async def send(self, subject: str, template_id: str, notice: VoucherNotice) -> str:
        data = {
            "thing1": _thing(notice.batch_title),
            "phrase2": notice.what_happened,
            "date3": notice.last_valid_day.isoformat(),
            "thing4": notice.hint,
        }
        return await self.client.send_subscribe(subject, template_id, data, page=notice.page)

    async def delivered(self, message: OutboxMessage, account: ChannelAccount, sent_id: str | None) -> str:
        msg_id = sent_id or ""
        await WechatDelivery.create(msg_id=msg_id, outbox_id=message.id)
        return msg_id


async def send_wechat_notice(message: OutboxMessage, client: SubscribeSender, template_id: str) -> str:
    return await send_subscribe_notice(message, WechatSubscribe(client), template_id)
