"""Issue 18 (access at the edges): the request digest beside a scan's nonce."""

from tortoise import fields, migrations
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
    dependencies = [("models", "0010_scan_record_without_locks")]

    initial = False

    operations = [
        AddFieldState(
            model_name="ScanRecord",
            name="request_digest",
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.RunPython(add_digest, drop_digest),
    ]
