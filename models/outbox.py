from tortoise import fields
from tortoise.models import Model

from models.accounts import Person
from models.enums import OutboxStatus
from models.vouchers import Voucher


class OutboxMessage(Model):
    """Something to push later, written in the same transaction as the change it reports.
    The worker claims due rows, sends them through the channels and records the result."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)  # voucher_issued, voucher_revoked, ...
    # Unique when set, so a retried use case cannot queue the same message twice.
    dedupe_key = fields.CharField(max_length=128, unique=True, null=True)
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="outbox", null=True, on_delete=fields.RESTRICT
    )
    voucher: fields.ForeignKeyNullableRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="outbox", null=True, on_delete=fields.RESTRICT
    )
    channel = fields.CharField(max_length=32, null=True)  # decided by the worker when null
    # The platform template a send uses: a daily quota is per channel and template.
    template = fields.CharField(max_length=64, null=True)
    payload: dict = fields.JSONField(default=dict)
    status = fields.CharEnumField(OutboxStatus, max_length=10, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    lease_until = fields.DatetimeField(null=True)
    # Who holds the lease: a worker records a result only while the row is still its own.
    lease_owner = fields.CharField(max_length=64, null=True)
    message_id = fields.CharField(max_length=128, null=True)  # the platform's id of the sent message
    # What the platform later reported about delivery (WeChat TEMPLATESENDJOBFINISH: success,
    # failed:user block, ...); per recipient in wechat_delivery.
    delivery_report = fields.CharField(max_length=32, null=True)
    last_error = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    # The institution a notice is for (copied from the payload by `outbox_row`): the portal's list.
    institution_id = fields.IntField(null=True)
    # When the trainee read a trainee notice in the notices center (消息中心). On the row itself,
    # so the read state lives and goes with the notice, whatever the outbox keeps.
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"), ("institution_id", "id"), ("person_id", "id"))
