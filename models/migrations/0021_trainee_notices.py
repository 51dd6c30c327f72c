"""Issue 21 (the trainee's journey), items 5 and 7: the trainee's notices center and 退券.

- `outbox_message.read_at`: when the trainee read a notice in the notices center, with an index
  over (person_id, id) that lists one person's notices newest first.
- `batch.allow_reclaim_after_return`: whether a person who gave a voucher back may claim the
  batch again (default: not).
- A returned voucher no longer holds its person's place in the batch: unique (batch, person)
  becomes a unique index over the vouchers whose status is not 'returned'. On PostgreSQL the
  index is built CONCURRENTLY before the constraint is dropped (no long lock on a hot table),
  so this migration is not atomic. SQLite cannot drop a table's constraint: the table is built
  again from its own DDL (SQLite's documented procedure, foreign keys off meanwhile, in one
  transaction); its ids, rows and the other tables' references stay as they were.
"""

import re

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.enums import VoucherStatus

ONE_LIVE = "voucher_one_live_per_person"
UNIQUE_PG = "uid_voucher_batch_i_64e37b"  # Tortoise's name for unique (batch, person), 0001
UNIQUE_SQL = '"batch_id", "person_id"'


class StateOnly(ops.Operation):
    """Another operation's effect on the migration state only; the database changes in RunPython."""

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


def _postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def add_columns(apps, schema_editor) -> None:
    read_at = "TIMESTAMPTZ NULL" if _postgres(schema_editor) else "TIMESTAMP NULL"
    await schema_editor._run_sql(f"ALTER TABLE outbox_message ADD COLUMN read_at {read_at}")
    await schema_editor._run_sql(
        "ALTER TABLE batch ADD COLUMN allow_reclaim_after_return BOOLEAN NOT NULL DEFAULT FALSE"
    )


async def drop_columns(apps, schema_editor) -> None:
    await schema_editor._run_sql("ALTER TABLE batch DROP COLUMN allow_reclaim_after_return")
    await schema_editor._run_sql("ALTER TABLE outbox_message DROP COLUMN read_at")


async def _rebuild_sqlite_voucher(schema_editor, *, with_unique: bool) -> None:
    """The voucher table again, with or without its table-level unique (batch, person)."""
    client = schema_editor.client
    _, [table] = await client.execute_query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'voucher'")
    _, indexes = await client.execute_query(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'voucher' AND sql IS NOT NULL "
        f"AND name <> '{ONE_LIVE}'"
    )
    _, info = await client.execute_query("PRAGMA table_info(voucher)")
    ddl = re.sub(r'^CREATE TABLE (IF NOT EXISTS )?"?voucher"?', 'CREATE TABLE "voucher__new"', table["sql"])
    ddl = re.sub(rf',\s*CONSTRAINT "[^"]+" UNIQUE \({UNIQUE_SQL}\)', "", ddl)
    if with_unique:
        ddl = ddl.rstrip().removesuffix(")").rstrip() + f',\n    CONSTRAINT "{UNIQUE_PG}" UNIQUE ({UNIQUE_SQL})\n)'
    columns = ", ".join(f'"{row["name"]}"' for row in info)
    steps = [
        "PRAGMA foreign_keys = OFF",
        "BEGIN IMMEDIATE",
        ddl,
        f'INSERT INTO "voucher__new" ({columns}) SELECT {columns} FROM "voucher"',
        'DROP TABLE "voucher"',
        'ALTER TABLE "voucher__new" RENAME TO "voucher"',
        *(row["sql"] for row in indexes),
        "" if with_unique else _one_live_index(),
        "COMMIT",
        "PRAGMA foreign_keys = ON",
    ]
    await schema_editor._run_sql(";\n".join(s for s in steps if s) + ";")
    _, broken = await client.execute_query("PRAGMA foreign_key_check")
    assert not broken, f"voucher rebuild broke references: {broken[:3]}"


def _one_live_index(concurrently: bool = False) -> str:
    how = " CONCURRENTLY" if concurrently else ""
    return f"CREATE UNIQUE INDEX{how} {ONE_LIVE} ON voucher (batch_id, person_id) WHERE status <> 'returned'"


async def one_live_voucher(apps, schema_editor) -> None:
    if _postgres(schema_editor):
        await schema_editor._run_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {ONE_LIVE}")  # a failed earlier try
        await schema_editor._run_sql(_one_live_index(concurrently=True))
        await schema_editor._run_sql(f"ALTER TABLE voucher DROP CONSTRAINT IF EXISTS {UNIQUE_PG}")
    else:
        await _rebuild_sqlite_voucher(schema_editor, with_unique=False)


async def one_voucher(apps, schema_editor) -> None:
    """Back: fails, as it must, once a person holds a returned and a new voucher of one batch."""
    if _postgres(schema_editor):
        await schema_editor._run_sql(f"ALTER TABLE voucher ADD CONSTRAINT {UNIQUE_PG} UNIQUE (batch_id, person_id)")
        await schema_editor._run_sql(f"DROP INDEX IF EXISTS {ONE_LIVE}")
    else:
        await schema_editor._run_sql(f"DROP INDEX IF EXISTS {ONE_LIVE}")
        await _rebuild_sqlite_voucher(schema_editor, with_unique=True)


class Migration(migrations.Migration):
    dependencies = [("models", "0020_bureau_console")]

    initial = False
    atomic = False  # CREATE INDEX CONCURRENTLY; SQLite's rebuild turns foreign keys off first

    operations = [
        StateOnly(
            ops.AddField(model_name="OutboxMessage", name="read_at", field=fields.DatetimeField(null=True))
        ),
        StateOnly(
            ops.AddField(
                model_name="Batch", name="allow_reclaim_after_return", field=fields.BooleanField(default=False)
            )
        ),
        ops.RunPython(add_columns, drop_columns),
        ops.AddIndex(model_name="OutboxMessage", index=Index(fields=["person_id", "id"])),
        StateOnly(
            ops.AlterField(
                model_name="Voucher",
                name="status",
                field=fields.CharEnumField(
                    default=VoucherStatus.CLAIMED,
                    description="CLAIMED: claimed\nENROLLED: enrolled\nCOMPLETED: completed\nSETTLED: settled\n"
                    "EXPIRED: expired\nVOIDED: voided\nREVOKED: revoked\nRETURNED: returned",
                    enum_type=VoucherStatus,
                    max_length=12,
                ),
            )
        ),
        StateOnly(ops.RemoveConstraint(model_name="Voucher", fields=["batch", "person"])),
        ops.RunPython(one_live_voucher, one_voucher),
    ]
