"""Issue 18 (access at the edges): the request digest beside a scan's nonce, the record of
archive look-ups, and login lockouts."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below. On
    SQLite Tortoise adds a field by rebuilding the table, and its rebuild loses the unique
    (staff_id, nonce) constraint (see 0010)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def add_digest(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE scan_record ADD COLUMN request_digest VARCHAR(32)")


async def drop_digest(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE scan_record DROP COLUMN request_digest")


class Migration(migrations.Migration):
    dependencies = [("models", "0012_declared_groups")]

    initial = False

    operations = [
        AddFieldState(
            model_name="ScanRecord",
            name="request_digest",
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.RunPython(add_digest, drop_digest),
        ops.CreateModel(
            name="ArchiveLookup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "bureau_user",
                    fields.ForeignKeyField(
                        "models.BureauUser",
                        source_field="bureau_user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="archive_lookups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("region_path", fields.CharField(db_index=True, max_length=128)),
                ("id_masked", fields.CharField(max_length=24)),
                ("shown", fields.BooleanField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "archive_lookup",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A bureau user's look-up of a person's archive by ID number: who asked, when, for which",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginLockout",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("account_kind", fields.CharField(max_length=8)),
                ("account_id", fields.IntField()),
                ("username", fields.CharField(max_length=64)),
                ("failures", fields.IntField()),
                ("locked_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("locked_until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("lifted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("lifted_by", fields.CharField(null=True, max_length=80)),
                ("seen_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "login_lockout",
                "app": "models",
                "indexes": [Index(fields=["account_kind", "account_id"])],
                "pk_attr": "id",
                "table_description": "An account locked after repeated failed logins. Its owner is told (staff through their",
            },
            bases=["Model"],
        ),
    ]
