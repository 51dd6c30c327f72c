"""WeChat in the delivery routes: voucher notices as mini-program subscribe messages, and
institution notices as Official Account template messages to each bound staff member."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobs.delivery import Attempt, Route
from jobs.institution_routes import Recipients
from jobs.routes import PersonNotifier
from models import AccountChannel, ChannelAccount, OutboxMessage, Voucher
from platforms.wechat.notice_links import NoticeLinks
from platforms.wechat.staff_notice import send_staff_notice
from platforms.wechat.subscribe_notice import send_wechat_notice
from vouchers.common.clock import LOCAL_TZ, local_date, utcnow
from vouchers.common.outbox import outbox_row, recipient_key
from vouchers.institutions.notices import notice_text
from vouchers.institutions.recipients import bound_staff_ids, staff_recipient
from vouchers.notices.trainee_texts import render_notice

STAFF_NOTICE = "staff_notice"


def miniapp_notifier(client: Any, template_id: str) -> PersonNotifier:
    async def notifier(message: OutboxMessage) -> Attempt | None:
        reachable = (
            message.person_id is not None
            and await ChannelAccount.filter(
                person_id=message.person_id, channel=AccountChannel.WECHAT_MINIAPP, app_id=client.app_id
            ).exists()
        )
        if not reachable:
            return None

        async def send(_key: str) -> str:
            return await send_wechat_notice(message, client, template_id)

        return Attempt("wechat_miniapp", send, template_id)

    return notifier


def official_notifier(client: Any, template_id: str, links: NoticeLinks) -> PersonNotifier:
    """A trainee who follows the Official Account: the follower is the same person as a verified
    account of theirs through the UnionID. The template has the mini program's subscribe fields
    (WeChat shows only keywords since May 2023), and a tap opens the voucher (the evaluation, for
    the completion notice: vouchers.notices.tap_targets)."""

    async def notifier(message: OutboxMessage) -> Attempt | None:
        if message.person_id is None or message.voucher_id is None:
            return None
        unions = await ChannelAccount.filter(person_id=message.person_id, union_id__not_isnull=True).values_list(
            "union_id", flat=True
        )
        follower = await ChannelAccount.filter(
            channel=AccountChannel.WECHAT_OFFICIAL, app_id=client.app_id, union_id__in=list(set(unions))
        ).first()
        if follower is None:
            return None

        async def send(key: str) -> str:
            voucher = await Voucher.get(id=message.voucher_id).prefetch_related("batch")
            text = render_notice(message, voucher)
            data = {
                "thing1": thing(voucher.batch.title),
                "phrase2": text.what,
                "time3": local_date(voucher.valid_until - timedelta(seconds=1)).isoformat(),
                "thing4": thing(text.hint),
            }
            page = links.page_for(message.kind, voucher.code)
            url = links.url_for(message.kind, voucher.code)
            return await client.send_template(
                follower.subject, template_id, data, client_msg_id=key, url=url, miniprogram=page
            )

        return Attempt("wechat_official", send, template_id)

    return notifier


def staff_notice_data(notice: OutboxMessage) -> dict[str, str]:
    """The template message a staff member reads: what happened and the start of the notice's
    text (`templates/notices/<kind>.txt`) in one-line fields of 20 characters, and when."""
    title, body = notice_text(notice.kind, notice.payload)
    return {
        "thing1": thing(title),
        "thing2": thing(" ".join(body.split())),
        "time3": (notice.created_at or utcnow()).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
    }


def thing(text: str) -> str:
    """A `thing` keyword holds one line of at most 20 characters."""
    return text if len(text) <= 20 else text[:19] + "…"


def staff_recipients(app_id: str, links: NoticeLinks) -> Recipients:
    async def rows(notice: OutboxMessage) -> list[OutboxMessage]:
        bound = await bound_staff_ids(int(notice.payload["institution_id"]), app_id)
        data = staff_notice_data(notice)
        return [
            outbox_row(
                STAFF_NOTICE,
                utcnow(),
                payload={"staff_id": staff_id, "data": data, "url": links.institution_url},
                dedupe_key=recipient_key(notice, staff_recipient(staff_id)),
            )
            for staff_id in bound
        ]

    return rows


def staff_notice_route(client: Any, template_id: str) -> Route:
    async def route(message: OutboxMessage) -> list[Attempt]:
        async def send(_key: str) -> str:
            return await send_staff_notice(message, client, template_id)

        return [Attempt("wechat_official", send, template_id)]

    return route
