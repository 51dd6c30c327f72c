"""Log in from the Alipay mini program: an auth code becomes an account and a session."""

from __future__ import annotations

from typing import Protocol

from channels import errors as channel_errors
from models import AccountChannel, ChannelAccount
from vouchers.common import errors
from vouchers.identity.sessions import open_session
from vouchers.services import Services


class LoginResult(Protocol):
    subject: str  # open_id when Alipay gives one, else user_id
    union_id: str | None


class AlipayLogin(Protocol):
    async def login(self, auth_code: str) -> LoginResult: ...


async def alipay_login(svc: Services, alipay: AlipayLogin, app_id: str, auth_code: str) -> tuple[ChannelAccount, str]:
    try:
        login = await alipay.login(auth_code)
    except channel_errors.BadData:
        raise errors.AlipayAuthCodeInvalid() from None
    except channel_errors.ChannelError:
        raise errors.AlipayUnavailable() from None
    return await open_session(svc, AccountChannel.ALIPAY, app_id, login.subject, login.union_id)
