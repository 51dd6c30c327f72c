"""Outbox send function: a voucher notice as a mini-program subscribe message.

Takes one outbox row (kinds voucher_claimed, voucher_issued, voucher_revoked, voucher_expiring)
and the mini program's client; returns WeChat's msgid or raises a `channels.errors` error.
A one-time consent is taken before the call and given back when WeChat did not use it;
43101 sets the count to zero. The template's fields (thing1, phrase2, date3, thing4) are the
ones of the 培训券状态通知 template configured as `[wechat] voucher_template_id`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from channels import errors as channel_errors
from models import AccountChannel, ChannelAccount, OutboxMessage, Voucher, WechatDelivery
from vouchers.clock import local_date
from vouchers.subscription_consent import consent_exhausted, give_back_consent, use_consent
from vouchers.trainee_notices import HINTS, WHAT_HAPPENED

PAGE = "pages/vouchers/detail"


class SubscribeSender(Protocol):
    app_id: str

    async def send_subscribe(
        self, openid: str, template_id: str, data: dict[str, str], page: str | None = None, state: str = "formal"
    ) -> str: ...


def _thing(text: str) -> str:
    return text if len(text) <= 20 else text[:19] + "…"  # thing.DATA: at most 20 characters


async def send_subscribe_notice(message: OutboxMessage, client: SubscribeSender, template_id: str) -> str:
    if message.kind not in WHAT_HAPPENED or message.voucher_id is None or message.person_id is None:
        raise channel_errors.BadData(f"not a voucher notice: {message.kind}")
    voucher = await Voucher.get(id=message.voucher_id).prefetch_related("batch")
    accounts = await ChannelAccount.filter(
        person_id=message.person_id, channel=AccountChannel.WECHAT_MINIAPP, app_id=client.app_id
    ).order_by("-bound_at")
    if not accounts:
        raise channel_errors.BadRecipient("the person has no verified WeChat mini-program account")
    for account in accounts:
        if await use_consent(account.id, template_id):
            break
    else:
        raise channel_errors.NoConsent("no subscribe-message consent left")
    data = {
        "thing1": _thing(voucher.batch.title),
        "phrase2": WHAT_HAPPENED[message.kind],
        # valid_until is 24:00 of the last valid day: the date shown is the day before.
        "date3": local_date(voucher.valid_until - timedelta(seconds=1)).isoformat(),
        "thing4": HINTS[message.kind],
    }
    try:
        msg_id = await client.send_subscribe(account.subject, template_id, data, page=f"{PAGE}?code={voucher.code}")
    except channel_errors.NoConsent:
        await consent_exhausted(account.id, template_id)
        raise
    except channel_errors.ChannelError:
        await give_back_consent(account.id, template_id)  # WeChat uses a consent only on success
        raise
    await WechatDelivery.create(msg_id=msg_id, outbox_id=message.id)
    return msg_id
