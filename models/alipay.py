"""Alipay-only state: notifications already handled, card-pack templates and passes."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.accounts import ChannelAccount
from models.batches import Batch
from models.vouchers import Voucher


class PassState(StrEnum):
    ACTIVE = "active"
    USED = "used"
    CLOSED = "closed"


class AlipayNotification(Model):
    """A gateway notification handled once. Alipay retries with the same notify_id until it
    reads success, so the unique notify_id makes handling idempotent."""

    id = fields.BigIntField(primary_key=True)
    notify_id = fields.CharField(max_length=128, unique=True)
    kind = fields.CharField(max_length=64)
    received_at = fields.DatetimeField()

    class Meta:
        table = "alipay_notification"


class AlipayPassTemplate(Model):
    """The card-pack template of one batch. tpl_id is null until Alipay has created it."""

    id = fields.IntField(primary_key=True)
    batch: fields.OneToOneRelation[Batch] = fields.OneToOneField(
        "models.Batch", related_name="alipay_template", on_delete=fields.RESTRICT
    )
    tpl_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alipay_pass_template"


class AlipayPass(Model):
    """A voucher in one Alipay user's card pack. `state` is what we last asked Alipay to show,
    `serial_number` the pass's id on both sides (the voucher code), `key_id` the QR key that
    signed the card-pass code Alipay shows (null: not known, so the pass is signed again)."""

    id = fields.BigIntField(primary_key=True)
    voucher: fields.OneToOneRelation[Voucher] = fields.OneToOneField(
        "models.Voucher", related_name="alipay_pass", on_delete=fields.RESTRICT
    )
    account: fields.ForeignKeyRelation[ChannelAccount] = fields.ForeignKeyField(
        "models.ChannelAccount", related_name="alipay_passes", on_delete=fields.RESTRICT
    )
    serial_number = fields.CharField(max_length=32, unique=True)
    state = fields.CharEnumField(PassState, max_length=10, default=PassState.ACTIVE)
    added_at = fields.DatetimeField(null=True)  # when Alipay accepted the instance
    key_id = fields.CharField(max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "alipay_pass"
