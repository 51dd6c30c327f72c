"""Gateway `code` / `sub_code` mapped onto the typed channel errors the worker acts on.

`code` 10000 is success. The sub_code, when present, is more precise than the code, so it is
looked up first; `isp.*` sub codes are Alipay's own failures and worth a retry.
"""

from __future__ import annotations

from channels import errors

SUCCESS = "10000"

_BY_SUB_CODE: dict[str, type[errors.ChannelError]] = {
    "isv.invalid-app-id": errors.AuthFailed,
    "isv.invalid-signature": errors.AuthFailed,
    "isv.missing-signature": errors.AuthFailed,
    "isv.invalid-signature-type": errors.AuthFailed,
    "isv.insufficient-isv-permissions": errors.AuthFailed,
    "isv.app-unauthorized": errors.AuthFailed,
    "isv.invalid-timestamp": errors.Retryable,  # our clock; the next attempt carries a new one
    "isv.code-invalid": errors.BadData,  # auth_code unknown, used or expired
    "isv.user-not-exist": errors.BadRecipient,
    "isv.invalid-user": errors.BadRecipient,
    "USER_NOT_EXIST": errors.BadRecipient,
    "USER_TEMPLATE_ILLEGAL": errors.BadData,  # unknown or disabled template
    "INVALID_PARAMETER": errors.BadData,
    "NO_SUBSCRIBE_RELATION": errors.NoConsent,  # the user has not subscribed (or used it up)
    "USER_UNSUBSCRIBED": errors.NoConsent,
    "isv.app-call-limited": errors.QuotaExhausted,
    "aop.ACCESS_LIMITED": errors.QuotaExhausted,
    "SEND_LIMIT": errors.QuotaExhausted,  # daily quota of one user or one template
}

_BY_CODE: dict[str, type[errors.ChannelError]] = {
    "20000": errors.Retryable,  # service unavailable
    "20001": errors.AuthFailed,  # insufficient token permissions
    "40001": errors.BadData,  # missing parameter
    "40002": errors.BadData,  # invalid parameter
    "40004": errors.Permanent,  # business failure
    "40006": errors.AuthFailed,  # insufficient ISV permissions
}


def error_for(code: str, sub_code: str | None, message: str) -> errors.ChannelError:
    cls = _BY_SUB_CODE.get(sub_code or "")
    if cls is None and sub_code and sub_code.startswith(("isp.", "aop.unknow")):
        cls = errors.Retryable
    if cls is None:
        cls = _BY_CODE.get(code, errors.Permanent)
    return cls(f"{code} {sub_code or ''} {message}"[:200], code=sub_code or code)
