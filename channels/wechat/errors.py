"""WeChat `errcode` values mapped onto the typed channel errors the worker acts on."""

from __future__ import annotations

from channels import errors

# The access token was refused: refresh it once and retry the call once.
TOKEN_REJECTED = frozenset({40001, 40014, 42001})

_BY_CODE: dict[int, type[errors.ChannelError]] = {
    -1: errors.Retryable,  # system busy
    40013: errors.AuthFailed,  # invalid appid
    40125: errors.AuthFailed,  # invalid appsecret
    40164: errors.AuthFailed,  # caller IP not whitelisted
    41002: errors.AuthFailed,  # appid missing
    41004: errors.AuthFailed,  # secret missing
    40003: errors.BadRecipient,  # openid unknown or of another app
    43004: errors.BadRecipient,  # recipient does not follow the Official Account
    40226: errors.BadRecipient,  # user blocked for rule violations
    43101: errors.NoConsent,  # no subscribe-message consent left
    45015: errors.NoConsent,  # customer-service reply outside the 48 h window
    47003: errors.BadData,  # template data refused (errmsg names the field)
    40037: errors.BadData,  # unknown template id
    41030: errors.BadData,  # bad page path
    45009: errors.QuotaExhausted,  # daily API quota
    45011: errors.QuotaExhausted,  # calls too frequent
    45047: errors.QuotaExhausted,  # customer-service messages over limit
}


class TokenRejected(errors.Retryable):
    """40001/40014/42001. The client refreshes once and retries once; if it escapes, the
    worker retries later."""


def error_for(errcode: int, errmsg: str) -> errors.ChannelError:
    if errcode in TOKEN_REJECTED:
        return TokenRejected(f"{errcode} {errmsg}", code=errcode)
    cls = _BY_CODE.get(errcode, errors.Permanent)
    return cls(f"{errcode} {errmsg}"[:200], code=errcode)
