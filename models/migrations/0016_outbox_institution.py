"""Issue 19 (the institution portal): an outbox row names the institution it is for, so the
portal lists an institution's notices (and their deliveries) by an index instead of reading
every row's JSON. Rows written before are filled in from their payload."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below (on
    SQLite Tortoise adds a field by rebuilding the table; see 0013)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def add_column(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE outbox_message ADD COLUMN institution_id INT")
    if schema_editor.client.capabilities.dialect == "postgres":
        fill = "UPDATE outbox_message SET institution_id = (payload->>'institution_id')::int"
        where = "WHERE payload ? 'institution_id'"
    else:
        fill = "UPDATE outbox_message SET institution_id = CAST(json_extract(payload, '$.institution_id') AS INTEGER)"
        where = "WHERE json_extract(payload, '$.institution_id') IS NOT NULL"
    await schema_editor._run_sql(f"{fill} {where}")


async def drop_column(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE outbox_message DROP COLUMN institution_id")


class Migration(migrations.Migration):
    dependencies = [("models", "0015_manual_checkin")]

    initial = False

    operations = [
        AddFieldState(model_name="OutboxMessage", name="institution_id", field=fields.IntField(null=True)),
        ops.RunPython(add_column, drop_column),
        ops.AddIndex(model_name="OutboxMessage", index=Index(fields=["institution_id", "id"])),
    ]
