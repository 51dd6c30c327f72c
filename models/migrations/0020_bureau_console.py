"""Issue 20 (the bureau console): bureau users get a role; an append-only log of what bureau
users change (accounts, registry, standards, targets); institutions can be suspended; batches
name their fund source; subsidy standards and ratios get the year from which they apply."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

from models.bureau import BureauRole


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below (on
    SQLite Tortoise adds a field by rebuilding the table, losing its unique constraints: the
    username of bureau_user, the code of institution)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class StateOnly(ops.Operation):
    """Another operation's effect on the migration state only. Tortoise's RemoveConstraint on
    SQLite drops an index, but there the unique key is part of the table: `add_effective_years`
    changes the tables itself."""

    def __init__(self, inner: ops.Operation) -> None:
        self.inner = inner

    def describe(self) -> str:
        return self.inner.describe()

    def state_forward(self, app_label, state) -> None:
        self.inner.state_forward(app_label, state)

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


# table: (old unique key, new unique key)
YEARLY = {
    "subsidy_ratio": ("region_id, eligible_group", "region_id, eligible_group, effective_year"),
    "subsidy_standard": (
        "region_id, project_type, occupation, level",
        "region_id, project_type, occupation, level, effective_year",
    ),
}


async def _rebuild_sqlite(schema_editor, table: str, old_key: str, new_key: str, add_column: bool) -> None:
    """SQLite cannot change a table's unique key: build the table again from its own DDL."""
    _, rows = await schema_editor.client.execute_query(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    )
    ddl = rows[0]["sql"]
    quoted = lambda key: ", ".join(f'"{c}"' for c in key.split(", "))  # noqa: E731
    ddl = ddl.replace(f"UNIQUE ({quoted(old_key)})", f"UNIQUE ({quoted(new_key)})")
    if add_column:
        ddl = ddl.replace(
            '"updated_at" TIMESTAMP NOT NULL,',
            '"updated_at" TIMESTAMP NOT NULL,\n    "effective_year" INT NOT NULL DEFAULT 2021,',
        )
    else:
        ddl = ddl.replace('\n    "effective_year" INT NOT NULL DEFAULT 2021,', "")
    _, info = await schema_editor.client.execute_query(f"PRAGMA table_info({table})")
    keep = ", ".join(f'"{r["name"]}"' for r in info if r["name"] != "effective_year")
    await schema_editor._run_sql(f'ALTER TABLE "{table}" RENAME TO "{table}__old"')
    await schema_editor._run_sql(ddl)
    await schema_editor._run_sql(f'INSERT INTO "{table}" ({keep}) SELECT {keep} FROM "{table}__old"')
    await schema_editor._run_sql(f'DROP TABLE "{table}__old"')


async def _unique_name(schema_editor, table: str) -> str:
    _, rows = await schema_editor.client.execute_query(
        f"SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype = 'u'"
    )
    return rows[0]["conname"]


async def add_effective_years(apps, schema_editor) -> None:
    for table, (old_key, new_key) in YEARLY.items():
        if schema_editor.client.capabilities.dialect == "postgres":
            name = await _unique_name(schema_editor, table)
            await schema_editor._run_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            await schema_editor._run_sql(f"ALTER TABLE {table} ADD COLUMN effective_year INT NOT NULL DEFAULT 2021")
            await schema_editor._run_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({new_key})")
        else:
            await _rebuild_sqlite(schema_editor, table, old_key, new_key, add_column=True)


async def drop_effective_years(apps, schema_editor) -> None:
    for table, (old_key, new_key) in YEARLY.items():
        if schema_editor.client.capabilities.dialect == "postgres":
            name = await _unique_name(schema_editor, table)
            await schema_editor._run_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            await schema_editor._run_sql(f"ALTER TABLE {table} DROP COLUMN effective_year")
            await schema_editor._run_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({old_key})")
        else:
            await _rebuild_sqlite(schema_editor, table, new_key, old_key, add_column=False)


COLUMNS = (
    ("bureau_user", "role", "VARCHAR(16) NOT NULL DEFAULT 'admin'"),
    ("institution", "suspended_at", "TIMESTAMP NULL"),
    ("institution", "suspended_reason", "VARCHAR(200) NULL"),
    ("batch", "fund_source", "VARCHAR(64) NOT NULL DEFAULT ''"),
)


async def add_columns(apps, schema_editor) -> None:
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    for table, column, definition in COLUMNS:
        if postgres and definition.startswith("TIMESTAMP"):
            definition = "TIMESTAMPTZ NULL"
        await schema_editor._run_sql(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


async def drop_columns(apps, schema_editor) -> None:
    for table, column, _ in COLUMNS:
        await schema_editor._run_sql(f"ALTER TABLE {table} DROP COLUMN {column}")


class Migration(migrations.Migration):
    dependencies = [("models", "0019_payment_lists")]

    initial = False

    operations = [
        AddFieldState(
            model_name="BureauUser",
            name="role",
            field=fields.CharEnumField(
                default=BureauRole.ADMIN,
                description="ADMIN: admin\nBATCH_MANAGER: batch_manager\nFIRST_REVIEWER: first_reviewer\n"
                "SECOND_REVIEWER: second_reviewer\nVIEWER: viewer",
                enum_type=BureauRole,
                max_length=16,
            ),
        ),
        AddFieldState(model_name="Institution", name="suspended_at", field=fields.DatetimeField(null=True)),
        AddFieldState(
            model_name="Institution", name="suspended_reason", field=fields.CharField(null=True, max_length=200)
        ),
        AddFieldState(model_name="Batch", name="fund_source", field=fields.CharField(default="", max_length=64)),
        ops.RunPython(add_columns, drop_columns),
        ops.CreateModel(
            name="AdminEvent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("actor_id", fields.IntField(null=True)),
                ("actor_name", fields.CharField(max_length=64)),
                ("action", fields.CharField(max_length=32)),
                ("subject_kind", fields.CharField(max_length=16)),
                ("subject_id", fields.CharField(max_length=64)),
                ("region_path", fields.CharField(db_index=True, max_length=128)),
                ("before", fields.JSONField(null=True)),
                ("after", fields.JSONField(null=True)),
            ],
            options={
                "table": "admin_event",
                "app": "models",
                "indexes": (("subject_kind", "subject_id"),),
                "pk_attr": "id",
                "table_description": "Append-only record of what bureau users did outside a voucher's own history: accounts,",
            },
            bases=["Model"],
        ),
        StateOnly(ops.RemoveConstraint(model_name="SubsidyRatio", fields=["region", "eligible_group"])),
        StateOnly(ops.AddField(model_name="SubsidyRatio", name="effective_year", field=fields.IntField(default=2021))),
        StateOnly(
            ops.AddConstraint(
                model_name="SubsidyRatio",
                constraint=UniqueConstraint(fields=("region", "eligible_group", "effective_year")),
            )
        ),
        StateOnly(
            ops.RemoveConstraint(model_name="SubsidyStandard", fields=["region", "project_type", "occupation", "level"])
        ),
        StateOnly(
            ops.AddField(model_name="SubsidyStandard", name="effective_year", field=fields.IntField(default=2021))
        ),
        StateOnly(
            ops.AddConstraint(
                model_name="SubsidyStandard",
                constraint=UniqueConstraint(fields=("region", "project_type", "occupation", "level", "effective_year")),
            )
        ),
        ops.RunPython(add_effective_years, drop_effective_years),
    ]
