"""Issue 19 (the institution portal): a manual check-in (补签) keeps its reason and the member
who made it."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the columns are added by RunPython below (on
    SQLite Tortoise adds a field by rebuilding the table, losing the unique (lesson, voucher))."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def add_columns(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE attendance ADD COLUMN manual_reason VARCHAR(100)")
    await schema_editor._run_sql("ALTER TABLE attendance ADD COLUMN manual_by_staff_id INT")


async def drop_columns(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE attendance DROP COLUMN manual_reason")
    await schema_editor._run_sql("ALTER TABLE attendance DROP COLUMN manual_by_staff_id")


class Migration(migrations.Migration):
    dependencies = [("models", "0014_site_address")]

    initial = False

    operations = [
        AddFieldState(model_name="Attendance", name="manual_reason", field=fields.CharField(null=True, max_length=100)),
        AddFieldState(model_name="Attendance", name="manual_by_staff_id", field=fields.IntField(null=True)),
        ops.RunPython(add_columns, drop_columns),
    ]
