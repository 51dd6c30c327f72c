"""Online training platforms (线上培训平台): a qualified platform takes vouchers for its courses.

A platform is registered like an institution: its registry entry is an `Institution` row (kind
线上培训平台) and each of its courses is a `TrainingClass` of that institution. Enrolments,
settlement claims, payment lists and statistics therefore count a platform as they count any
institution. The rows here hold what only a platform has: the scope the bureau allows it, the
keys that sign its requests, its own course codes and study hours, and the study it reports.
"""

from tortoise import fields
from tortoise.models import Model

from models.institutions import Institution, TrainingClass
from models.vouchers import Voucher


class OnlinePlatform(Model):
    """What a platform may take: the project types (at least one) and the occupations (none listed:
    any occupation of those project types), as the bureau set them."""

    id = fields.IntField(primary_key=True)
    institution: fields.OneToOneRelation[Institution] = fields.OneToOneField(
        "models.Institution", related_name="online_platform", on_delete=fields.RESTRICT
    )
    project_types: list[str] = fields.JSONField(default=list)
    occupations: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "online_platform"


class PlatformKey(Model):
    """A secret that signs the requests of a platform (HMAC-SHA256). The verifier needs the secret
    itself, so it is kept sealed (AES-GCM under the master secret), never hashed. Two may be active
    at once, so a new one is added before the old one is retired: rotation without downtime."""

    id = fields.IntField(primary_key=True)
    platform: fields.ForeignKeyRelation[OnlinePlatform] = fields.ForeignKeyField(
        "models.OnlinePlatform", related_name="keys", on_delete=fields.RESTRICT
    )
    key_id = fields.CharField(max_length=32)
    secret_cipher = fields.CharField(max_length=256)
    created_by_id = fields.IntField(null=True)  # bureau user
    created_at = fields.DatetimeField()
    retired_by_id = fields.IntField(null=True)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "online_platform_key"
        unique_together = (("platform", "key_id"),)


class OnlineCourse(Model):
    """A course of a platform: its training class, the code the platform gives it, and the study
    time a trainee must put in (in minutes)."""

    id = fields.IntField(primary_key=True)
    platform: fields.ForeignKeyRelation[OnlinePlatform] = fields.ForeignKeyField(
        "models.OnlinePlatform", related_name="courses", on_delete=fields.RESTRICT
    )
    training_class: fields.OneToOneRelation[TrainingClass] = fields.OneToOneField(
        "models.TrainingClass", related_name="online_course", on_delete=fields.RESTRICT
    )
    code = fields.CharField(max_length=32)
    required_minutes = fields.IntField()

    class Meta:
        table = "online_course"
        unique_together = (("platform", "code"),)


class StudyReport(Model):
    """One report of study in one unit of a course. The platform names each report: the same name
    again is the same report (a retry), counted once. `digest` is what it said, which a retry must
    repeat."""

    id = fields.BigIntField(primary_key=True)
    platform: fields.ForeignKeyRelation[OnlinePlatform] = fields.ForeignKeyField(
        "models.OnlinePlatform", related_name="study_reports", on_delete=fields.RESTRICT
    )
    report_id = fields.CharField(max_length=64)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="study_reports", on_delete=fields.RESTRICT
    )
    training_class: fields.ForeignKeyRelation[TrainingClass] = fields.ForeignKeyField(
        "models.TrainingClass", related_name="study_reports", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=64)
    minutes = fields.IntField()
    digest = fields.CharField(max_length=64)
    reported_at = fields.DatetimeField()

    class Meta:
        table = "online_study_report"
        unique_together = (("platform", "report_id"),)
        indexes = (("voucher_id", "training_class_id"),)
