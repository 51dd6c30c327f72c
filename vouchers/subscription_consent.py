"""Subscribe-message consent: what `wx.requestSubscribeMessage` returned, per template.

A one-time consent ("accept") allows exactly one message, so consents are counted: each accept
adds one, each send uses one, and WeChat's 43101 (no consent left) sets the count to zero,
whatever we believed. Long-term consents (government services) are not used up.
"""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import ChannelAccount, SubscriptionConsent
from vouchers.clock import utcnow

ACCEPT = "accept"
REFUSALS = {"reject", "ban", "filter"}


async def record_consents(account: ChannelAccount, results: dict[str, str], long_term: bool = False) -> dict[str, int]:
    """`results` maps template id -> accept | reject | ban | filter. Returns what is left now."""
    left: dict[str, int] = {}
    async with in_transaction() as conn:
        for template_id, result in results.items():
            row, _ = await SubscriptionConsent.get_or_create(
                account_id=account.id, template_id=template_id, using_db=conn
            )
            # One row per account and template: concurrent reports serialise on it, so no accept
            # is lost between the read and the write (as in the Alipay module).
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
    """Take one consent for a send; False when there is none (do not call WeChat then)."""
    row = await SubscriptionConsent.get_or_none(account_id=account_id, template_id=template_id)
    if row is None:
        return False
    if row.long_term:
        return True
    # Conditional decrement: two sends racing for the last consent cannot both win.
    taken = await SubscriptionConsent.filter(id=row.id, remaining__gt=0).update(remaining=F("remaining") - 1)
    return taken == 1


async def give_back_consent(account_id: int, template_id: str) -> None:
    """The send failed before WeChat used the consent (timeout, system busy)."""
    await SubscriptionConsent.filter(account_id=account_id, template_id=template_id, long_term=False).update(
        remaining=F("remaining") + 1
    )


async def consent_exhausted(account_id: int, template_id: str) -> None:
    """WeChat said 43101: nothing is left, whatever our count said."""
    await SubscriptionConsent.filter(account_id=account_id, template_id=template_id).update(
        remaining=0, long_term=False, refused_at=utcnow()
    )
