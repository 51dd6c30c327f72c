"""Issue 19 (scanning where the network is not): a scan made offline and uploaded later is
marked so; its `scanned_at` is the device's time of the scan."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below (on
    SQLite Tortoise adds a field by rebuilding the table, losing unique (staff, nonce); see 0010)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def add_column(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE scan_record ADD COLUMN offline BOOLEAN NOT NULL DEFAULT FALSE")


async def drop_column(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE scan_record DROP COLUMN offline")


class Migration(migrations.Migration):
    dependencies = [("models", "0016_outbox_institution")]

    initial = False

    operations = [
        AddFieldState(model_name="ScanRecord", name="offline", field=fields.BooleanField(default=False)),
        ops.RunPython(add_column, drop_column),
    ]
