"""Trainee sessions: a channel login becomes an account and a signed, expiring token."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

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
    return account, svc.tokens.issue(SESSION, account.id, svc.session_token_ttl_s, version=account.token_version)


async def account_for_token(svc: Services, token: str) -> ChannelAccount:
    claims = svc.tokens.verify(token, SESSION)
    account = await svc.accounts.get(claims.subject)
    if account is None or claims.version != account.token_version:
        raise errors.Unauthenticated("登录凭证无效")
    return account


async def end_sessions(svc: Services, account: ChannelAccount) -> None:
    """退出: every token of this account stops working, in every server process (`vouchers.common.coherence`)."""
    await ChannelAccount.filter(id=account.id).update(token_version=F("token_version") + 1)
    await svc.coherence.forget("accounts", account.id)
