"""Issue 21 item 2: sign-ups (报名) for training classes, and a class may hold places for them.

- `signup`: one row per sign-up. Two partial unique indexes (raw SQL: Tortoise builds partial
  unique indexes on PostgreSQL only; the syntax here is the same on SQLite) are the last guard
  under concurrency: a voucher has at most one pending sign-up, a person at most one pending or
  confirmed sign-up per class.
- `training_class.hold_places_for_signups`, added by RunPython, not Tortoise's AddField: on SQLite
  that rebuilds the table (see 0017).
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.signups import SignupStatus


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def add_column(apps, schema_editor) -> None:
    await schema_editor._run_sql(
        "ALTER TABLE training_class ADD COLUMN hold_places_for_signups BOOLEAN NOT NULL DEFAULT FALSE"
    )


async def drop_column(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE training_class DROP COLUMN hold_places_for_signups")


_FORWARD = [
    "CREATE UNIQUE INDEX signup_one_pending_per_voucher ON signup (voucher_id) WHERE status = 'pending'",
    """
    CREATE UNIQUE INDEX signup_one_per_person_and_class ON signup (person_id, training_class_id)
    WHERE status IN ('pending', 'confirmed')
    """,
]

_BACKWARD = [
    "DROP INDEX IF EXISTS signup_one_per_person_and_class",
    "DROP INDEX IF EXISTS signup_one_pending_per_voucher",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0021_trainee_notices")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Signup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "voucher",
                    fields.ForeignKeyField(
                        "models.Voucher",
                        source_field="voucher_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="signups",
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
                        related_name="signups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("person_id", fields.BigIntField()),
                ("institution_id", fields.IntField()),
                (
                    "status",
                    fields.CharEnumField(
                        default=SignupStatus.PENDING,
                        description="PENDING: pending\nCONFIRMED: confirmed\nDECLINED: declined\nLAPSED: lapsed\n"
                        "CANCELLED: cancelled",
                        enum_type=SignupStatus,
                        max_length=10,
                    ),
                ),
                ("reason", fields.CharField(null=True, max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("decided_by", fields.CharField(null=True, max_length=32)),
                ("enrolment_id", fields.BigIntField(null=True)),
            ],
            options={
                "table": "signup",
                "app": "models",
                "indexes": [
                    Index(fields=["training_class_id", "status"]),
                    Index(fields=["person_id", "id"]),
                    Index(fields=["institution_id", "status"]),
                    Index(fields=["created_at"]),
                    Index(fields=["status", "created_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A trainee's sign-up (报名) for a class with one of their vouchers. It reserves nothing",
            },
            bases=["Model"],
        ),
        ops.RunSQL(_FORWARD, _BACKWARD),
        AddFieldState(
            model_name="TrainingClass", name="hold_places_for_signups", field=fields.BooleanField(default=False)
        ),
        ops.RunPython(add_column, drop_column),
    ]
