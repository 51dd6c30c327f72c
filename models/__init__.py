"""Tortoise ORM models. Tortoise discovers every model imported here (app label `models`)."""

from models.accounts import ChannelAccount, IdentityVerification, Person
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
from models.wechat import StaffBinding, StaffBindToken, SubscriptionConsent, WechatDelivery

__all__ = [
    "AccountChannel",
    "Batch",
    "BatchStatus",
    "BureauUser",
    "ChannelAccount",
    "DistributionMode",
    "EligibilityEntry",
    "IdentityVerification",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "Region",
    "RegionTarget",
    "StaffBindToken",
    "StaffBinding",
    "SubscriptionConsent",
    "ValidityMode",
    "ValueMode",
    "VerificationStatus",
    "Voucher",
    "VoucherHistory",
    "VoucherStatus",
    "WechatDelivery",
]
