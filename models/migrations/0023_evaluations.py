"""Issue 21 (training evaluation, 培训评价): one evaluation per voucher, with the institution and
class it rates."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0022_signups")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Evaluation",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "voucher",
                    fields.OneToOneField(
                        "models.Voucher",
                        source_field="voucher_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="evaluation",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("person_id", fields.BigIntField(db_index=True)),
                (
                    "institution",
                    fields.ForeignKeyField(
                        "models.Institution",
                        source_field="institution_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="evaluations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "training_class",
                    fields.ForeignKeyField(
                        "models.TrainingClass",
                        source_field="training_class_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="evaluations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("teaching", fields.SmallIntField()),
                ("organisation", fields.SmallIntField()),
                ("usefulness", fields.SmallIntField()),
                ("tag_mask", fields.IntField(default=0)),
                ("comment", fields.CharField(default="", max_length=200)),
                ("given_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "evaluation",
                "app": "models",
                "indexes": [Index(fields=["institution_id", "training_class_id"])],
                "pk_attr": "id",
                "table_description": "Scores are 1-5. `tag_mask` holds the chosen tags as bits in the order of",
            },
            bases=["Model"],
        ),
    ]
