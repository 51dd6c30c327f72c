from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.regions import Region


class BureauRole(StrEnum):
    """What a bureau user may do; `vouchers.identity.bureau_roles` maps each to its permissions."""

    ADMIN = "admin"  # 管理员: accounts, registry, standards, everything
    BATCH_MANAGER = "batch_manager"  # 批次管理员: batches, rosters, institutions, revocation
    FIRST_REVIEWER = "first_reviewer"  # 初审员
    SECOND_REVIEWER = "second_reviewer"  # 复审员, and payment lists
    VIEWER = "viewer"  # 统计查询: reads only


class BureauUser(Model):
    """An HR bureau operator. Manages batches of its own region and the regions below it."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=256)
    display_name = fields.CharField(max_length=64, default="")
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="bureau_users", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(BureauRole, max_length=16, default=BureauRole.ADMIN)
    active = fields.BooleanField(default=True)
    # Bumped to make every token issued before it stop working at once.
    token_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bureau_user"


class AdminEvent(Model):
    """Append-only record of what bureau users did outside a voucher's own history: accounts,
    the institution registry, standards, ratios, targets, review levels. `region_path` is the
    region the change belongs to, so a bureau reads the events of its own subtree."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor_id = fields.IntField(null=True)  # bureau user; NULL for the command line
    actor_name = fields.CharField(max_length=64)
    action = fields.CharField(max_length=32)
    subject_kind = fields.CharField(max_length=16)  # account, institution, standard, ratio, target ...
    subject_id = fields.CharField(max_length=64)
    region_path = fields.CharField(max_length=128, db_index=True)
    before: dict = fields.JSONField(null=True)
    after: dict = fields.JSONField(null=True)

    class Meta:
        table = "admin_event"
        indexes = (("subject_kind", "subject_id"),)
