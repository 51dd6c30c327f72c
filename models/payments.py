"""Payment lists (拨付清单): approved settlement claims gathered per payee, paid by the bureau in
one transfer, after which their vouchers are written off (核销)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.regions import Region
from models.settlement import PayeeKind, SettlementClaim


class PaymentListStatus(StrEnum):
    DRAFTED = "drafted"  # 草稿: gathered, not paid yet; may be cancelled
    PAID = "paid"  # 已拨付: paid with the payment reference, vouchers written off
    CANCELLED = "cancelled"  # 已作废: its claims went back to the pool


class PaymentList(Model):
    """One payee's list in one region: an institution, an employer, or the trainees' own
    social-security-card accounts (one list for all of a region's trainee payees, a line each)."""

    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)  # BF-<region>-<yyyymmdd>-<seq>
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="payment_lists", on_delete=fields.RESTRICT
    )
    payee_kind = fields.CharEnumField(PayeeKind, max_length=12)
    # What the list is grouped by: "institution:<id>", "employer:<name>" or "trainee".
    payee_key = fields.CharField(max_length=120)
    payee_name = fields.CharField(max_length=100)
    institution_id = fields.IntField(null=True)
    total_fen = fields.BigIntField()
    line_count = fields.IntField()
    status = fields.CharEnumField(PaymentListStatus, max_length=10, default=PaymentListStatus.DRAFTED)
    payment_ref = fields.CharField(max_length=64, null=True)  # the bank transfer's reference
    created_by_id = fields.IntField()  # bureau user ids
    created_at = fields.DatetimeField()
    paid_by_id = fields.IntField(null=True)
    paid_at = fields.DatetimeField(null=True)
    cancelled_by_id = fields.IntField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_list"
        indexes = (("region_id", "status"),)


class PaymentListLine(Model):
    """One approved claim on a list. A cancelled list keeps its lines (nothing is deleted) with
    `live` NULL: unique (claim, live) lets a claim be on at most one live list, NULLs being
    distinct in a unique constraint on both PostgreSQL and SQLite."""

    id = fields.BigIntField(primary_key=True)
    payment_list: fields.ForeignKeyRelation[PaymentList] = fields.ForeignKeyField(
        "models.PaymentList", related_name="lines", on_delete=fields.RESTRICT
    )
    claim: fields.ForeignKeyRelation[SettlementClaim] = fields.ForeignKeyField(
        "models.SettlementClaim", related_name="payment_lines", on_delete=fields.RESTRICT
    )
    amount_fen = fields.BigIntField()
    live = fields.BooleanField(null=True, default=True)

    class Meta:
        table = "payment_list_line"
        unique_together = (("claim", "live"),)
