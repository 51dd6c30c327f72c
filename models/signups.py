from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.institutions import TrainingClass
from models.vouchers import Voucher


class SignupStatus(StrEnum):
    PENDING = "pending"  # 待确认: the institution has not scanned the voucher yet
    CONFIRMED = "confirmed"  # 已确认: enrolled into the class by the registration scan
    DECLINED = "declined"  # 已婉拒: the institution said no, with a reason
    LAPSED = "lapsed"  # 已失效: the class started, or the voucher went elsewhere
    CANCELLED = "cancelled"  # 已取消: the trainee withdrew it


class Signup(Model):
    """A trainee's sign-up (报名) for a class with one of their vouchers. It reserves nothing
    unless the class holds places for sign-ups (`TrainingClass.hold_places_for_signups`).

    `person_id` and `institution_id` are copied from the voucher and the class (neither changes)
    for the trainee's list, the institution's and the partial unique indexes of migration
    0022_signups: one pending sign-up per voucher, one pending or confirmed per person and class."""

    id = fields.BigIntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="signups", on_delete=fields.RESTRICT
    )
    training_class: fields.ForeignKeyRelation[TrainingClass] = fields.ForeignKeyField(
        "models.TrainingClass", related_name="signups", on_delete=fields.RESTRICT
    )
    person_id = fields.BigIntField()
    institution_id = fields.IntField()
    status = fields.CharEnumField(SignupStatus, max_length=10, default=SignupStatus.PENDING)
    reason = fields.CharField(max_length=200, null=True)  # why declined, or why lapsed
    created_at = fields.DatetimeField()
    # When and by whom it left `pending` ("trainee", "institution:<staff id>", "system").
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.CharField(max_length=32, null=True)
    enrolment_id = fields.BigIntField(null=True)  # the enrolment that confirmed it

    class Meta:
        table = "signup"
        # The class's list, the trainee's, the bureau's overview, the statistics, the lapse sweep.
        indexes = (
            ("training_class_id", "status"),
            ("person_id", "id"),
            ("institution_id", "status"),
            ("created_at",),
            ("status", "created_at"),
        )
