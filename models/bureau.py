from tortoise import fields
from tortoise.models import Model

from models.regions import Region


class BureauUser(Model):
    """An HR bureau operator. Manages batches of its own region and the regions below it."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=256)
    display_name = fields.CharField(max_length=64, default="")
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="bureau_users", on_delete=fields.RESTRICT
    )
    active = fields.BooleanField(default=True)
    # Bumped to make every token issued before it stop working at once.
    token_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bureau_user"
