"""Chat bot "我的培训券": the vouchers of an Official Account follower.

A follower is the same person as a face-verified mini-program account when both carry the
same UnionID (WeChat gives one per person across the apps of one developer account).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from models import AccountChannel, ChannelAccount, Voucher
from vouchers.claiming.wallet import effective_status, remaining_days
from vouchers.common.clock import utcnow

# Looks up a follower's UnionID on WeChat (cgi-bin/user/info); None when it has none.
UnionIdLookup = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class FollowerVoucher:
    title: str
    code: str
    status: str
    days_left: int


async def follower_account(app_id: str, openid: str, lookup: UnionIdLookup) -> ChannelAccount:
    account, _ = await ChannelAccount.get_or_create(
        channel=AccountChannel.WECHAT_OFFICIAL, app_id=app_id, subject=openid
    )
    if account.union_id is None:
        union_id = await lookup(openid)
        if union_id:
            account.union_id = union_id
            await account.save(update_fields=["union_id"])
    return account


async def person_of_follower(account: ChannelAccount) -> int | None:
    if account.person_id is not None:
        return account.person_id
    if not account.union_id:
        return None
    bound = (
        await ChannelAccount.filter(union_id=account.union_id, person_id__not_isnull=True).order_by("bound_at").first()
    )
    return bound.person_id if bound else None


async def list_vouchers_for_follower(
    app_id: str, openid: str, lookup: UnionIdLookup, limit: int = 10
) -> list[FollowerVoucher] | None:
    """None when the follower is not (yet) a verified person."""
    account = await follower_account(app_id, openid, lookup)
    person_id = await person_of_follower(account)
    if person_id is None:
        return None
    now = utcnow()
    vouchers = (
        await Voucher.filter(person_id=person_id).prefetch_related("batch").order_by("-claimed_at", "-id").limit(limit)
    )
    return [
        FollowerVoucher(
            title=v.batch.title, code=v.code, status=effective_status(v, now).value, days_left=remaining_days(v, now)
        )
        for v in vouchers
    ]
