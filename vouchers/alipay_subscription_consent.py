"""Alipay subscribe-message consent (my.requestSubscribeMessage), counted as for WeChat: each
one-time accept allows one message, each send uses one, and Alipay saying none is left sets the
count to zero whatever we believed. Long-term consents are not used up."""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import AccountChannel, AlipaySubscriptionConsent, ChannelAccount
from vouchers import errors
from vouchers.clock import utcnow

ACCEPT = "accept"
REFUSALS = {"reject", "ban"}


async def record_consents(account: ChannelAccount, results: dict[str, str], long_term: bool = False) -> dict[str, int]:
    """`results` maps template id -> accept | reject | ban. Returns what is left now."""
    if account.channel != AccountChannel.ALIPAY:
        raise errors.AlipayAccountRequired()
    left: dict[str, int] = {}
    async with in_transaction() as conn:
        for template_id, result in results.items():
            row, _ = await AlipaySubscriptionConsent.get_or_create(
                account_id=account.id, template_id=template_id, using_db=conn
            )
            # One row per account and template: concurrent records serialise on it.
            row = await AlipaySubscriptionConsent.select_for_update().using_db(conn).get(id=row.id)
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
    """Take one consent for a send; False when there is none (then Alipay is not called)."""
    row = await AlipaySubscriptionConsent.get_or_none(account_id=account_id, template_id=template_id)
    if row is None:
        return False
    if row.long_term:
        return True
    # Conditional decrement: two sends racing for the last consent cannot both win.
    taken = await AlipaySubscriptionConsent.filter(id=row.id, remaining__gt=0).update(remaining=F("remaining") - 1)
    return taken == 1


async def give_back_consent(account_id: int, template_id: str) -> None:
    """The send failed before Alipay delivered it (timeout, system busy)."""
    await AlipaySubscriptionConsent.filter(account_id=account_id, template_id=template_id, long_term=False).update(
        remaining=F("remaining") + 1
    )


async def consent_exhausted(account_id: int, template_id: str) -> None:
    """Alipay said the user has no subscription: nothing is left, whatever our count said."""
    await AlipaySubscriptionConsent.filter(account_id=account_id, template_id=template_id).update(
        remaining=0, long_term=False, refused_at=utcnow()
    )
