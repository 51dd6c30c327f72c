from tortoise import fields
from tortoise.models import Model

from models.accounts import ChannelAccount, Person
from models.batches import Batch
from models.enums import VoucherStatus


class Voucher(Model):
    """One person's voucher of one batch. `unique(batch, person)` is the last guard against
    a double claim, whatever the Redis gate let through.

    Of the vouchers not returned (退券): a partial unique index (migration 0021_trainee_notices),
    so a batch that allows it can be claimed again by a person who gave a voucher of it back."""

    id = fields.BigIntField(primary_key=True)
    # Public identifier (no personal data): used in URLs and, signed, in the QR payload.
    code = fields.CharField(max_length=24, unique=True)
    batch: fields.ForeignKeyRelation[Batch] = fields.ForeignKeyField(
        "models.Batch", related_name="vouchers", on_delete=fields.RESTRICT
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="vouchers", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(VoucherStatus, max_length=12, default=VoucherStatus.CLAIMED)
    voucher_type = fields.CharField(max_length=64)
    eligible_group = fields.CharField(max_length=32, null=True)
    automatic = fields.BooleanField(default=False)  # claimed by roster import, not by the person
    claimed_via: fields.ForeignKeyNullableRelation[ChannelAccount] = fields.ForeignKeyField(
        "models.ChannelAccount", related_name="claims", null=True, on_delete=fields.RESTRICT
    )
    roster_class = fields.CharField(max_length=100, null=True)
    claimed_at = fields.DatetimeField(db_index=True)
    valid_until = fields.DatetimeField(db_index=True)  # exclusive, UTC
    used_at = fields.DatetimeField(null=True)  # enrolment (用券)
    used_occupation = fields.CharField(max_length=64, null=True)
    revoked_reason = fields.CharField(max_length=200, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "voucher"
        indexes = (("person_id", "status"), ("status", "valid_until"))


class VoucherHistory(Model):
    """Append-only: every state change of a voucher, with actor and time. Nothing is deleted,
    an undo is a new row."""

    id = fields.BigIntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="history", on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField()
    action = fields.CharField(max_length=32)
    actor_kind = fields.CharField(max_length=16)  # trainee, bureau, institution, system
    actor_id = fields.CharField(max_length=64, null=True)
    from_status = fields.CharField(max_length=12, null=True)
    to_status = fields.CharField(max_length=12)
    automatic = fields.BooleanField(default=False)
    detail: dict = fields.JSONField(default=dict)
    # The seal (migration 0018_history_chain): a database trigger fills both on insert; NULL on
    # rows written before it. See models/history_hash.py and docs/history.md.
    prev_hash = fields.CharField(max_length=64, null=True)
    row_hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "voucher_history"
        indexes = (("voucher_id", "id"), ("at",))
