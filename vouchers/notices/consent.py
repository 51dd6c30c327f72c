"""Subscribe-message consent, for every channel: what `wx.requestSubscribeMessage` (WeChat) or
`my.requestSubscribeMessage` (Alipay) returned, per account and template.

A one-time consent ("accept") allows exactly one message, so consents are counted: each accept
adds one, each send uses one, and the platform saying none is left (WeChat's 43101, Alipay's
"no subscription") sets the count to zero, whatever we believed. Long-term consents (government
services) are not used up.

One table, keyed by (account, template), and no channel column: account ids are unique across
channels and the account row already says which channel it is on, so a channel here would only
repeat it (and could come to disagree with it). Every caller starts from an account: a send
from the account of its channel and app, a report from the session's account.

Which results a platform can report is checked where they come in, by the API schemas (WeChat
accept|reject|ban|filter, Alipay accept|reject|ban), and so is who may report (the WeChat API
takes mini-program accounts only, the Alipay API Alipay accounts only). Here every refusal
means the same.
"""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import ChannelAccount, SubscriptionConsent
from vouchers.common.clock import utcnow

ACCEPT = "accept"
REFUSALS = {"reject", "ban", "filter"}  # "filter" (WeChat's spam filter) only comes from WeChat


async def record_consents(account: ChannelAccount, results: dict[str, str], long_term: bool = False) -> dict[str, int]:
    """`results` maps template id -> accept | reject | ban | filter. Returns what is left now."""
    left: dict[str, int] = {}
    async with in_transaction() as conn:
        for template_id, result in results.items():
            row, _ = await SubscriptionConsent.get_or_create(
                account_id=account.id, template_id=template_id, using_db=conn
            )
            # One row per account and template: concurrent reports serialise on it, so no accept
            # is lost between the read and the write.
            row = await SubscriptionConsent.select_for_update().using_db(conn).get(id=row.id)
            if result == ACCEPT:
                if long_term:
                    row.long_term = True
                else:
                    row.remaining += 1
                row.refused_at = None
            elif result in REFUSALS:
                row.remaining, row.long_term, row.refused_at = 0, False, utcnow()
            await row.save(using_db=conn)
            left[template_id] = row.remaining
    return left


async def use_consent(account_id: int, template_id: str) -> bool:
    """Take one consent for a send; False when there is none (then the platform is not called)."""
    row = await SubscriptionConsent.get_or_none(account_id=account_id, template_id=template_id)
    if row is None:
        return False
    if row.long_term:
        return True
    # Conditional decrement: two sends racing for the last consent cannot both win.
    taken = await SubscriptionConsent.filter(id=row.id, remaining__gt=0).update(remaining=F("remaining") - 1)
    return taken == 1


async def give_back_consent(account_id: int, template_id: str) -> None:
    """The send failed before the platform used the consent (timeout, system busy, bad data)."""
    await SubscriptionConsent.filter(account_id=account_id, template_id=template_id, long_term=False).update(
        remaining=F("remaining") + 1
    )


async def consent_exhausted(account_id: int, template_id: str) -> None:
    """The platform said nothing is left: so it is, whatever our count said."""
    await SubscriptionConsent.filter(account_id=account_id, template_id=template_id).update(
        remaining=0, long_term=False, refused_at=utcnow()
    )
