"""Trainee sessions: a channel login becomes an account and a signed, expiring token."""

from __future__ import annotations

import time

from tortoise.exceptions import IntegrityError

from infra.coalesce import Coalescer
from models import AccountChannel, ChannelAccount
from vouchers.common import errors
from vouchers.services import Services

SESSION = "session"


async def open_session(
    svc: Services, channel: AccountChannel, app_id: str, subject: str, union_id: str | None = None
) -> tuple[ChannelAccount, str]:
    account = await ChannelAccount.get_or_none(channel=channel, app_id=app_id, subject=subject)
    if account is None:
        try:
            account = await ChannelAccount.create(channel=channel, app_id=app_id, subject=subject, union_id=union_id)
        except IntegrityError:
            account = await ChannelAccount.get(channel=channel, app_id=app_id, subject=subject)
    elif union_id and account.union_id != union_id:
        account.union_id = union_id
        await account.save(update_fields=["union_id"])
    return account, svc.tokens.issue(SESSION, account.id, svc.session_token_ttl_s)


# Bound accounts, by id. Every trainee request needs its account, and in a claim rush reading it
# from the database was the largest cost of turning a loser away. A bound account never changes
# person (rebinding is refused), so only unbinding can make an entry wrong: `forget_account` drops
# it in this process, and other processes see the change within BOUND_TTL_S.
BOUND_TTL_S = 30.0
_bound: dict[int, tuple[float, ChannelAccount]] = {}


async def account_for_token(svc: Services, token: str) -> ChannelAccount:
    claims = svc.tokens.verify(token, SESSION)
    now = time.monotonic()
    hit = _bound.get(claims.subject)
    if hit and now - hit[0] < BOUND_TTL_S:
        return hit[1]
    account = await _accounts.load(claims.subject)
    if account is None:
        raise errors.Unauthenticated("登录凭证无效")
    if account.person_id is not None:
        if len(_bound) > 100_000:
            _bound.clear()
        _bound[account.id] = (now, account)
    return account


async def _fetch_accounts(ids: list[int]) -> list[tuple[int, ChannelAccount]]:
    return [(a.id, a) for a in await ChannelAccount.filter(id__in=ids)]


_accounts: Coalescer[int, ChannelAccount] = Coalescer(_fetch_accounts)


def forget_account(account_id: int) -> None:
    _bound.pop(account_id, None)


def clear() -> None:
    _bound.clear()
