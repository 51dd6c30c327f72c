"""Tortoise ORM models. Tortoise discovers every model imported here (app label `models`)."""

from models.accounts import ChannelAccount, IdentityVerification, Person
from models.alipay import (
    AlipayNotification,
    AlipayPass,
    AlipayPassTemplate,
    AlipaySubscriptionConsent,
    PassState,
)
from models.batches import (
    Batch,
    BatchStatus,
    DistributionMode,
    EligibilityEntry,
    ValidityMode,
    ValueMode,
)
from models.bureau import BureauUser
from models.enums import AccountChannel, OutboxStatus, VerificationStatus, VoucherStatus
from models.outbox import OutboxMessage
from models.regions import Region, RegionTarget
from models.vouchers import Voucher, VoucherHistory

__all__ = [
    "AccountChannel",
    "AlipayNotification",
    "AlipayPass",
    "AlipayPassTemplate",
    "AlipaySubscriptionConsent",
    "Batch",
    "BatchStatus",
    "BureauUser",
    "ChannelAccount",
    "DistributionMode",
    "EligibilityEntry",
    "IdentityVerification",
    "OutboxMessage",
    "OutboxStatus",
    "PassState",
    "Person",
    "Region",
    "RegionTarget",
    "ValidityMode",
    "ValueMode",
    "VerificationStatus",
    "Voucher",
    "VoucherHistory",
    "VoucherStatus",
]
