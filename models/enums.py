"""Closed sets of states shared by several models."""

from enum import StrEnum


class AccountChannel(StrEnum):
    WECHAT_MINIAPP = "wechat_miniapp"
    WECHAT_OFFICIAL = "wechat_official"
    ALIPAY = "alipay"
    H5 = "h5"


class VerificationStatus(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


class VoucherStatus(StrEnum):
    CLAIMED = "claimed"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    SETTLED = "settled"
    EXPIRED = "expired"
    VOIDED = "voided"
    REVOKED = "revoked"
    RETURNED = "returned"  # given back by the trainee before enrolment (退券)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
