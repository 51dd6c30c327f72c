from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.bureau import BureauUser
from models.regions import Region


class ValueMode(StrEnum):
    FACE_VALUE = "face_value"  # 面值券: carries an amount in fen
    DEDUCTION = "deduction"  # 抵用券: the proof on which the subsidy is paid
    CHECKIN_ONLY = "checkin_only"  # 打卡签到专用券: records attendance only


class DistributionMode(StrEnum):
    GENERAL = "general"  # 通用券: eligible people claim it themselves
    TARGETED = "targeted"  # 定向券: issued from an institution's roster, claimed automatically


class ValidityMode(StrEnum):
    FIXED_DATE = "fixed_date"  # valid until a local date (Chongqing: 30 November)
    DAYS_AFTER_CLAIM = "days_after_claim"


class BatchStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class Batch(Model):
    """A batch of vouchers (制券) with every rule that governs claiming and use."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="batches", on_delete=fields.RESTRICT
    )
    value_mode = fields.CharEnumField(ValueMode, max_length=16)
    face_value_fen = fields.BigIntField(null=True)
    distribution = fields.CharEnumField(DistributionMode, max_length=16)
    # "Each voucher type may be claimed once a year" (Chongqing) counts per this key.
    voucher_type = fields.CharField(max_length=64)
    project_types: list[str] = fields.JSONField(default=list)
    occupation = fields.CharField(max_length=64, null=True)
    usable_regions: list[str] = fields.JSONField(default=list)
    eligible_groups: list[str] = fields.JSONField(default=list)
    requires_eligibility_list = fields.BooleanField(default=False)
    claim_start = fields.DatetimeField(null=True)
    claim_end = fields.DatetimeField(null=True)
    validity_mode = fields.CharEnumField(ValidityMode, max_length=20)
    valid_until_date = fields.DateField(null=True)
    valid_days = fields.IntField(null=True)
    quantity = fields.IntField()
    fund_source = fields.CharField(max_length=64, default="")  # 资金来源, e.g. 职业技能提升行动专账资金
    # Whether a trainee who gave a voucher back (退券) may claim this batch again.
    allow_reclaim_after_return = fields.BooleanField(default=False)
    # Stock left, decremented in the claim transaction `WHERE remaining > 0`.
    remaining = fields.IntField()
    status = fields.CharEnumField(BatchStatus, max_length=10, default=BatchStatus.DRAFT)
    created_by: fields.ForeignKeyRelation[BureauUser] = fields.ForeignKeyField(
        "models.BureauUser", related_name="batches", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    published_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "batch"


class EligibilityEntry(Model):
    """The bureau's pre-selection: only listed people may claim a batch that requires a list."""

    id = fields.BigIntField(primary_key=True)
    batch: fields.ForeignKeyRelation[Batch] = fields.ForeignKeyField(
        "models.Batch", related_name="eligibility", on_delete=fields.RESTRICT
    )
    id_hash = fields.CharField(max_length=64)
    group = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "eligibility_entry"
        unique_together = (("batch", "id_hash"),)
