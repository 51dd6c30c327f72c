"""Records of access to personal data and accounts: archive look-ups and login lockouts."""

from tortoise import fields
from tortoise.models import Model

from models.bureau import BureauUser


class ArchiveLookup(Model):
    """A bureau user's look-up of a person's archive by ID number: who asked, when, for which
    (masked) number, and whether an archive was shown. The region path is the asker's, so a bureau
    sees the look-ups of its own users and of the regions below it."""

    id = fields.BigIntField(primary_key=True)
    bureau_user: fields.ForeignKeyRelation[BureauUser] = fields.ForeignKeyField(
        "models.BureauUser", related_name="archive_lookups", on_delete=fields.RESTRICT
    )
    region_path = fields.CharField(max_length=128, db_index=True)
    id_masked = fields.CharField(max_length=24)  # never the number in clear
    shown = fields.BooleanField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "archive_lookup"


class LoginLockout(Model):
    """An account locked after repeated failed logins. Its owner is told (staff through their
    notice route, bureau users at their next login); an administrator may lift it early."""

    id = fields.BigIntField(primary_key=True)
    account_kind = fields.CharField(max_length=8)  # bureau, staff
    account_id = fields.IntField()
    username = fields.CharField(max_length=64)
    failures = fields.IntField()
    locked_at = fields.DatetimeField()
    locked_until = fields.DatetimeField()
    lifted_at = fields.DatetimeField(null=True)
    lifted_by = fields.CharField(max_length=80, null=True)
    seen_at = fields.DatetimeField(null=True)  # shown to the owner at a successful login

    class Meta:
        table = "login_lockout"
        indexes = (("account_kind", "account_id"),)
