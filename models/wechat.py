"""WeChat-only state: staff binding for the Official Account, and the platform message ids of
what we sent (so delivery reports find their outbox row). Subscribe-message consents are shared
with Alipay: `models.accounts.SubscriptionConsent`."""

from tortoise import fields
from tortoise.models import Model

from models.outbox import OutboxMessage


class StaffBindToken(Model):
    """A single-use token put in a parameterised QR code (scene staff:<token>). Only its hash
    is stored, so a database reader cannot bind himself as staff."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    staff_id = fields.BigIntField(db_index=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wechat_staff_bind_token"


class StaffBinding(Model):
    """An Official Account follower who receives notices as an institution staff member.
    `staff_id` has no foreign key: the staff table belongs to the institutions module."""

    id = fields.BigIntField(primary_key=True)
    staff_id = fields.BigIntField(db_index=True)
    app_id = fields.CharField(max_length=64)
    openid = fields.CharField(max_length=128)
    bound_at = fields.DatetimeField()

    class Meta:
        table = "wechat_staff_binding"
        unique_together = (("app_id", "openid"),)


class WechatDelivery(Model):
    """A message WeChat accepted for an outbox row, and what its delivery report said."""

    id = fields.BigIntField(primary_key=True)
    msg_id = fields.CharField(max_length=64, unique=True)
    # No constraint on PostgreSQL (migration 0027): outbox_message is partitioned by month, and a
    # key cannot reference its id alone. The outbox retention deletes a dropped month's rows here.
    outbox: fields.ForeignKeyRelation[OutboxMessage] = fields.ForeignKeyField(
        "models.OutboxMessage", related_name="wechat_deliveries", on_delete=fields.RESTRICT, db_constraint=False
    )
    status = fields.CharField(max_length=32, default="accepted")  # accepted, success, failed:user block, ...
    reported_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wechat_delivery"
