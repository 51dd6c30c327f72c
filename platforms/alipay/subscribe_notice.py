"""Voucher notices as Alipay mini-program subscribe messages
(`alipay.open.app.mini.templatemessage.send`), on the channel-independent `send_subscribe_notice`.
The fields are keyword1..keyword4 of the template configured as `[alipay] voucher_template_id`.
Alipay answers no message id: the outbox row and the recipient identify the delivery."""

from __future__ import annotations

from typing import Any, Protocol

from models import AccountChannel, ChannelAccount, OutboxMessage
from vouchers.notices.subscribe_sender import VoucherNotice, send_subscribe_notice


class AppSettings(Protocol):
    app_id: str


class TemplateMessageSender(Protocol):
    settings: AppSettings

    async def send_template_message(self, to_user: str, template_id: str, page: str, data: dict[str, Any]) -> None: ...


class AlipaySubscribe:
    channel = AccountChannel.ALIPAY

    def __init__(self, client: TemplateMessageSender) -> None:
        self.client = client
        self.app_id = client.settings.app_id

    async def send(self, subject: str, template_id: str, notice: VoucherNotice) -> None:
        data = {
            "keyword1": {"value": notice.batch_title},
            "keyword2": {"value": notice.what_happened},
            "keyword3": {"value": notice.last_valid_day.isoformat()},
            "keyword4": {"value": notice.hint},
        }
        await self.client.send_template_message(subject, template_id, notice.page, data)

    async def delivered(self, message: OutboxMessage, account: ChannelAccount, sent_id: str | None) -> str:
        return f"alipay:{message.id}:{account.id}"


async def send_alipay_notice(message: OutboxMessage, client: TemplateMessageSender, template_id: str) -> str:
    return await send_subscribe_notice(message, AlipaySubscribe(client), template_id)
