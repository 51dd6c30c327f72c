"""Notifications the Alipay gateway posts to us, once verified by the edge: each is handled at
most once (by notify_id), in one transaction with the row that remembers it."""

from __future__ import annotations

import json

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import AccountChannel, AlipayNotification, ChannelAccount
from platforms.alipay.card_pack import close_passes_of
from vouchers.common.clock import utcnow
from vouchers.services import Services

AUTH_CANCELLED = "alipay.open.auth.userauth.cancelled"


class MalformedNotification(ValueError):
    """A verified notification we cannot act on (no notify_id, unreadable biz_content)."""


def kind_of(params: dict[str, str]) -> str:
    return params.get("msg_method") or params.get("notify_type") or "unknown"


async def handle_notification(svc: Services, params: dict[str, str], app_id: str) -> bool:
    """Returns False when this notify_id was handled before (Alipay retrying)."""
    notify_id = params.get("notify_id", "").strip()
    if not notify_id or len(notify_id) > 128:
        raise MalformedNotification("notify_id")
    kind = kind_of(params)[:64]
    subjects = _cancelled_subjects(params) if kind == AUTH_CANCELLED else []
    unbound: list[int] = []
    try:
        async with in_transaction() as conn:
            await AlipayNotification.create(notify_id=notify_id, kind=kind, received_at=utcnow(), using_db=conn)
            if subjects:
                accounts = ChannelAccount.filter(channel=AccountChannel.ALIPAY, app_id=app_id, subject__in=subjects)
                unbound = list(await accounts.using_db(conn).values_list("id", flat=True))
                await accounts.using_db(conn).update(person_id=None, bound_at=None)
                # The user withdrew our access: their card pack shows none of our passes any more.
                await close_passes_of(unbound, utcnow(), conn)
    except IntegrityError:
        return False
    for account_id in unbound:  # after commit, so no request re-caches the bound account
        svc.accounts.forget(account_id)
    return True


def _cancelled_subjects(params: dict[str, str]) -> list[str]:
    """The open_id and user_id the user withdrew authorisation for."""
    try:
        content = json.loads(params.get("biz_content") or "")
    except ValueError:
        raise MalformedNotification("biz_content") from None
    if not isinstance(content, dict):
        raise MalformedNotification("biz_content")
    subjects = [str(content[k]) for k in ("open_id", "user_id") if content.get(k)]
    if not subjects:
        raise MalformedNotification("biz_content has neither open_id nor user_id")
    return subjects
