"""Issue 19 (the institution portal): a teaching site's address."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below (on
    SQLite Tortoise adds a field by rebuilding the table; see 0013)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def add_address(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE teaching_site ADD COLUMN address VARCHAR(200) NOT NULL DEFAULT ''")


async def drop_address(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE teaching_site DROP COLUMN address")


class Migration(migrations.Migration):
    dependencies = [("models", "0013_access")]

    initial = False

    operations = [
        AddFieldState(model_name="TeachingSite", name="address", field=fields.CharField(default="", max_length=200)),
        ops.RunPython(add_address, drop_address),
    ]
