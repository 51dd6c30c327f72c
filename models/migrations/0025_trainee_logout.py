"""Issue 21 (the trainee's H5 "me" page): 退出 ends every session token of the account."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below (on
    SQLite Tortoise adds a field by rebuilding the table, losing unique (channel, app_id, subject))."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def add_column(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE channel_account ADD COLUMN token_version INT NOT NULL DEFAULT 1")


async def drop_column(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE channel_account DROP COLUMN token_version")


class Migration(migrations.Migration):
    dependencies = [("models", "0024_online_platforms")]

    initial = False

    operations = [
        AddFieldState(model_name="ChannelAccount", name="token_version", field=fields.IntField(default=1)),
        ops.RunPython(add_column, drop_column),
    ]
