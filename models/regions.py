from tortoise import fields
from tortoise.models import Model


class Region(Model):
    """An administrative region (6-digit code). `path` lists the codes from the root down,
    joined by `/`, so "this region or below" is one prefix match."""

    code = fields.CharField(max_length=6, primary_key=True)
    name = fields.CharField(max_length=64)
    parent: fields.ForeignKeyNullableRelation["Region"] = fields.ForeignKeyField(
        "models.Region", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    path = fields.CharField(max_length=128, db_index=True)

    class Meta:
        table = "region"

    def covers(self, other_path: str) -> bool:
        return other_path == self.path or other_path.startswith(self.path + "/")


class RegionTarget(Model):
    """Yearly issue/use targets a region is measured against."""

    id = fields.IntField(primary_key=True)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="targets", on_delete=fields.RESTRICT
    )
    year = fields.IntField()
    issue_target = fields.IntField(default=0)
    use_target = fields.IntField(default=0)

    class Meta:
        table = "region_target"
        unique_together = (("region", "year"),)
