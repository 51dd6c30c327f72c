"""The error vocabulary a channel client raises, defined by the domain's port
(`vouchers.common.platform_errors`) and re-exported here so client code reads `errors.Retryable`."""

from vouchers.common.platform_errors import (
    AuthFailed,
    BadData,
    BadRecipient,
    ChannelError,
    NoConsent,
    Permanent,
    QuotaExhausted,
    Retryable,
)

__all__ = [
    "AuthFailed",
    "BadData",
    "BadRecipient",
    "ChannelError",
    "NoConsent",
    "Permanent",
    "QuotaExhausted",
    "Retryable",
]
