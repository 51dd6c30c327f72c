"""What a platform call can end in: the vocabulary of the domain's port to WeChat and Alipay.

Every channel client (`channels`) maps its platform's error codes onto these, and the domain's
senders and the worker catch them, so WeChat and Alipay are treated alike: retry later, give
up, or fix the recipient's state. They live in the domain because the domain defines the port;
`channels.errors` re-exports them for the clients.
"""

from __future__ import annotations


class ChannelError(Exception):
    """A platform call failed. `code` is the platform's own error code, kept for logs."""

    def __init__(self, message: str = "", *, code: int | str | None = None) -> None:
        super().__init__(message or type(self).__name__)
        self.code = code


class Retryable(ChannelError):
    """Timeouts, connection errors, 5xx, system busy: the same call may succeed later."""


class Permanent(ChannelError):
    """The same call will fail again: do not retry it."""


class NoConsent(Permanent):
    """The recipient has not (or no longer) consented to this message."""


class BadRecipient(Permanent):
    """The recipient id is unknown or belongs to another app."""


class BadData(Permanent):
    """The message content was refused (template fields, lengths)."""


class AuthFailed(Permanent):
    """Our credentials were refused (wrong app id or secret, IP not whitelisted)."""


class QuotaExhausted(Retryable):
    """A daily or per-minute quota is used up: retry after it resets."""
