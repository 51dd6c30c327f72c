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

PAGE = "pages/vouchers/detail"
WHAT_HAPPENED = {
    "voucher_claimed": "领取成功",
    "voucher_issued": "已发放",
    "voucher_revoked": "已作废",
    "voucher_expiring": "即将过期",
    "voucher_expired": "已过期",
    "voucher_voided": "已失效",
    "voucher_completed": "已结业",
    "voucher_settled": "已核销",
}
HINTS = {
    "voucher_claimed": "请在有效期内到培训机构报名",
    "voucher_issued": "培训券已发放到您的卡包",
    "voucher_revoked": "如有疑问请联系发券部门",
    "voucher_expiring": "请尽快报名参加培训",
    "voucher_expired": "未使用的培训券已过有效期",
    "voucher_voided": "培训未在期限内完成",
    "voucher_completed": "培训机构已提交结业考核结果",
    "voucher_settled": "培训补贴已审核通过",
}


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
