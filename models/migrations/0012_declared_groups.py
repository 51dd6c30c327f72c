"""Self-declared groups (issue 17 item 4): the group a person declared, once per local year."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    # The head of the chain when this was written; the name was assigned to keep the parallel
    # branches of issue 17 apart, and the chain is re-linked when they are merged.
    dependencies = [("models", "0011_one_enrolment_per_person")]

    initial = False

    operations = [
        ops.CreateModel(
            name="DeclaredGroup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "models.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="declared_groups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("year", fields.IntField()),
                ("group_hash", fields.CharField(max_length=64)),
                ("group_cipher", fields.CharField(max_length=256)),
                ("batch_id", fields.IntField()),
                ("declared_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "declared_group",
                "app": "models",
                "unique_together": (("person", "year"),),
                "pk_attr": "id",
                "table_description": "The first group a person declared (自行申报) when claiming in a local year.",
            },
            bases=["Model"],
        ),
    ]
