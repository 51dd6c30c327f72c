"""Mini-program login: `wx.login` code -> jscode2session (our server asks WeChat) -> session."""

from __future__ import annotations

from typing import Protocol

from channels import errors as channel_errors
from channels.wechat.client import Login
from models import AccountChannel, ChannelAccount
from vouchers.common import errors
from vouchers.identity.sessions import open_session
from vouchers.services import Services


class CodeExchange(Protocol):
    app_id: str

    async def jscode2session(self, code: str) -> Login: ...


async def login_with_code(svc: Services, wechat: CodeExchange, code: str) -> tuple[ChannelAccount, str]:
    try:
        login = await wechat.jscode2session(code)
    except channel_errors.BadRecipient:  # 40226: WeChat blocked this user
        raise errors.WechatUserBlocked() from None
    except channel_errors.Retryable:
        raise errors.WechatUnavailable() from None
    except channel_errors.AuthFailed:  # our app id/secret: an operator problem, not the user's
        raise errors.WechatUnavailable() from None
    except channel_errors.Permanent:  # 40029 bad code, 40163 code already used
        raise errors.WechatCodeInvalid() from None
    return await open_session(svc, AccountChannel.WECHAT_MINIAPP, wechat.app_id, login.openid, login.union_id)
