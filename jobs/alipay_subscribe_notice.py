"""Outbox send function: a voucher notice as an Alipay mini-program subscribe message
(`alipay.open.app.mini.templatemessage.send`).

Same contract and consent accounting as the WeChat sender, so the delivery loop treats both
channels alike: takes one outbox row (voucher_claimed, voucher_issued, voucher_revoked,
voucher_expiring) and the Alipay client; returns an id for the delivery or raises a
`channels.errors` error. A consent is taken before the call and given back when Alipay did not
deliver; NoConsent from Alipay sets the count to zero.
"""

from __future__ import annotations

from datetime import timedelta

from channels import errors
from channels.alipay.client import AlipayClient
from models import AccountChannel, ChannelAccount, OutboxMessage, Voucher
from vouchers.alipay_subscription_consent import consent_exhausted, give_back_consent, use_consent
from vouchers.clock import local_date
from vouchers.trainee_notices import HINTS, WHAT_HAPPENED

PAGE = "pages/vouchers/detail"


async def send_alipay_notice(message: OutboxMessage, client: AlipayClient, template_id: str) -> str:
    if message.kind not in WHAT_HAPPENED or message.voucher_id is None or message.person_id is None:
        raise errors.BadData(f"not a voucher notice: {message.kind}")
    voucher = await Voucher.get(id=message.voucher_id).prefetch_related("batch")
    accounts = await ChannelAccount.filter(
        person_id=message.person_id, channel=AccountChannel.ALIPAY, app_id=client.settings.app_id
    ).order_by("-bound_at")
    if not accounts:
        raise errors.BadRecipient("the person has no verified Alipay account")
    for account in accounts:
        if await use_consent(account.id, template_id):
            break
    else:
        raise errors.NoConsent("no subscribe-message consent left")
    data = {
        "keyword1": {"value": voucher.batch.title},
        "keyword2": {"value": WHAT_HAPPENED[message.kind]},
        # valid_until is 24:00 of the last valid day: the date shown is the day before.
        "keyword3": {"value": local_date(voucher.valid_until - timedelta(seconds=1)).isoformat()},
        "keyword4": {"value": HINTS[message.kind]},
    }
    try:
        await client.send_template_message(account.subject, template_id, f"{PAGE}?code={voucher.code}", data)
    except errors.NoConsent:
        await consent_exhausted(account.id, template_id)
        raise
    except errors.ChannelError:
        await give_back_consent(account.id, template_id)
        raise
    # Alipay answers no message id: the outbox row and recipient identify the delivery.
    return f"alipay:{message.id}:{account.id}"
