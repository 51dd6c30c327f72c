"""Outbox send function: a voucher notice as a mini-program subscribe message, on any channel.

Takes one outbox row (a trainee voucher notice: voucher_claimed, voucher_issued, voucher_revoked,
voucher_expiring ...) and the channel to send it on; returns the id of the delivery or raises a
`channels.errors` error, so the delivery loop treats every channel alike. The steps are the same
everywhere: find the person's verified accounts on the channel's app (newest first), take a
consent of the first that has one left before calling the platform (none: NoConsent, and the
platform is not called), zero the count when the platform says none is left, and give the
consent back on any other failure (a platform uses a consent only for a message it accepted).

A channel (`wechat_subscribe_notice`, `alipay_subscribe_notice`) supplies what differs: which
accounts can receive, how its template's fields are filled and the call itself, and what it
records of the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from models import AccountChannel, ChannelAccount, OutboxMessage, Voucher
from vouchers.common import platform_errors as channel_errors
from vouchers.common.clock import local_date
from vouchers.notices.consent import consent_exhausted, give_back_consent, use_consent
from vouchers.notices.tap_targets import VOUCHER_PAGE, miniapp_page
from vouchers.notices.trainee_texts import KINDS, render_notice

PAGE = VOUCHER_PAGE


@dataclass(frozen=True)
class VoucherNotice:
    """What the message says, before a channel fits it into its template's fields."""

    batch_title: str
    what_happened: str  # a short phrase: 领取成功, 即将到期 ...
    last_valid_day: date
    hint: str  # what to do now
    page: str  # the mini-program page a tap opens (vouchers.notices.tap_targets)


class SubscribeChannel(Protocol):
    channel: AccountChannel  # whose accounts can receive
    app_id: str

    async def send(self, subject: str, template_id: str, notice: VoucherNotice) -> str | None:
        """Fill the template and call the platform; its message id, if it answers one."""
        ...

    async def delivered(self, message: OutboxMessage, account: ChannelAccount, sent_id: str | None) -> str:
        """Record what the channel keeps of an accepted message; the delivery id."""
        ...


async def send_subscribe_notice(message: OutboxMessage, via: SubscribeChannel, template_id: str) -> str:
    if message.kind not in KINDS or message.voucher_id is None or message.person_id is None:
        raise channel_errors.BadData(f"not a voucher notice: {message.kind}")
    voucher = await Voucher.get(id=message.voucher_id).prefetch_related("batch")
    account = await _take_consent(message.person_id, via, template_id)
    text = render_notice(message, voucher)
    notice = VoucherNotice(
        batch_title=voucher.batch.title,
        what_happened=text.what,
        # valid_until is 24:00 of the last valid day: the date shown is the day before.
        last_valid_day=local_date(voucher.valid_until - timedelta(seconds=1)),
        hint=text.hint,
        page=miniapp_page(message.kind, voucher.code),
    )
    try:
        sent_id = await via.send(account.subject, template_id, notice)
    except channel_errors.NoConsent:
        await consent_exhausted(account.id, template_id)
        raise
    except channel_errors.ChannelError:
        await give_back_consent(account.id, template_id)
        raise
    return await via.delivered(message, account, sent_id)


async def _take_consent(person_id: int, via: SubscribeChannel, template_id: str) -> ChannelAccount:
    accounts = await ChannelAccount.filter(person_id=person_id, channel=via.channel, app_id=via.app_id).order_by(
        "-bound_at"
    )
    if not accounts:
        raise channel_errors.BadRecipient(f"the person has no verified account on {via.channel}")
    for account in accounts:
        if await use_consent(account.id, template_id):
            return account
    raise channel_errors.NoConsent("no subscribe-message consent left")
