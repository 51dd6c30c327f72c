"""Tortoise ORM models. Tortoise discovers every model imported here (app label `models`)."""

from models.access import ArchiveLookup, LoginLockout
from models.accounts import ChannelAccount, DeclaredGroup, IdentityVerification, Person, SubscriptionConsent
from models.alipay import (
    AlipayNotification,
    AlipayPass,
    AlipayPassTemplate,
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
from models.bureau import AdminEvent, BureauRole, BureauUser
from models.enums import AccountChannel, OutboxStatus, VerificationStatus, VoucherStatus
from models.evaluations import Evaluation
from models.institutions import (
    Attendance,
    Datum,
    Enrolment,
    Institution,
    InstitutionKind,
    Lesson,
    LocationCheckin,
    ScanRecord,
    Staff,
    StaffRole,
    TeachingSite,
    TrainingClass,
)
from models.outbox import OutboxMessage
from models.payments import PaymentList, PaymentListLine, PaymentListStatus
from models.platforms import OnlineCourse, OnlinePlatform, PlatformKey, StudyReport
from models.regions import Region, RegionTarget
from models.settlement import (
    Certificate,
    ClaimStatus,
    Payee,
    PayeeKind,
    ReviewPolicy,
    SettlementClaim,
    SubsidyRatio,
    SubsidyStandard,
)
from models.signups import Signup, SignupStatus
from models.statistics import StatisticsDay
from models.vouchers import Voucher, VoucherHistory
from models.webhooks import InstitutionWebhook
from models.wechat import StaffBinding, StaffBindToken, WechatDelivery

__all__ = [
    "AccountChannel",
    "AdminEvent",
    "AlipayNotification",
    "AlipayPass",
    "AlipayPassTemplate",
    "ArchiveLookup",
    "Attendance",
    "Batch",
    "BatchStatus",
    "BureauRole",
    "BureauUser",
    "Certificate",
    "ChannelAccount",
    "ClaimStatus",
    "Datum",
    "DeclaredGroup",
    "DistributionMode",
    "EligibilityEntry",
    "Enrolment",
    "Evaluation",
    "IdentityVerification",
    "Institution",
    "InstitutionKind",
    "InstitutionWebhook",
    "Lesson",
    "LocationCheckin",
    "LoginLockout",
    "OnlineCourse",
    "OnlinePlatform",
    "OutboxMessage",
    "OutboxStatus",
    "PassState",
    "Payee",
    "PayeeKind",
    "PaymentList",
    "PaymentListLine",
    "PaymentListStatus",
    "Person",
    "PlatformKey",
    "Region",
    "RegionTarget",
    "ReviewPolicy",
    "ScanRecord",
    "SettlementClaim",
    "Signup",
    "SignupStatus",
    "Staff",
    "StaffBindToken",
    "StaffBinding",
    "StaffRole",
    "StatisticsDay",
    "StudyReport",
    "SubscriptionConsent",
    "SubsidyRatio",
    "SubsidyStandard",
    "TeachingSite",
    "TrainingClass",
    "ValidityMode",
    "ValueMode",
    "VerificationStatus",
    "Voucher",
    "VoucherHistory",
    "VoucherStatus",
    "WechatDelivery",
]
