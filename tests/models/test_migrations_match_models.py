"""The migrations build what the models say: a model changed without its migration (or a migration
that changes what no model says) would pass every other test, which run on the migrated schema,
and only show up when the next `makemigrations` writes the difference into someone's change.
And migration 0010, the one that drops constraints PostgreSQL-only, undoes and redoes cleanly."""

from __future__ import annotations

from tortoise import Tortoise, connections
from tortoise.migrations.autodetector import MigrationAutodetector

from models.database import init_db, is_postgres, migrate, tortoise_config

BEFORE_0010 = "models.0009_lesson_class_index"


async def test_the_migrations_describe_the_models(db, database_url):
    apps = {label: dict(app) for label, app in tortoise_config(database_url)["apps"].items()}
    writers = await MigrationAutodetector(Tortoise.apps, apps).changes()
    missing = [op.describe() for writer in writers for op in writer.operations]
    assert missing == []


async def _scan_record_foreign_keys(url: str) -> list[str]:
    await init_db(url, pool_max=2)
    try:
        conn = connections.get("default")
        if is_postgres(url):
            sql = (
                "SELECT conname AS name FROM pg_constraint "
                "WHERE conrelid = 'scan_record'::regclass AND contype = 'f' ORDER BY conname"
            )
        else:
            sql = "SELECT \"table\" || '.' || \"from\" AS name FROM pragma_foreign_key_list('scan_record') ORDER BY 1"
        _, rows = await conn.execute_query(sql)
        # and whatever the migration did, a nonce must still be unique per staff member
        # (on the partitioned scan_record of migration 0027, in its key table scan_record_nonce)
        unique = (
            "SELECT count(*) AS n FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('scan_record', 'scan_record_nonce') "
            "AND indexdef LIKE 'CREATE UNIQUE INDEX % (staff_id, nonce)'"
            if is_postgres(url)
            else "SELECT count(*) AS n FROM pragma_index_list('scan_record') l "
            "WHERE l.\"unique\" AND (SELECT group_concat(name) FROM pragma_index_info(l.name)) = 'staff_id,nonce'"
        )
        _, [count] = await conn.execute_query(unique)
        assert count["n"] == 1
        return [row["name"] for row in rows]
    finally:
        await Tortoise.close_connections()


async def test_the_scan_record_loses_its_foreign_keys_on_postgresql_only_and_gets_them_back(scratch_url):
    await migrate(scratch_url)
    if is_postgres(scratch_url):
        assert await _scan_record_foreign_keys(scratch_url) == []
    else:  # SQLite keeps them: dropping one there means rebuilding the table
        assert len(await _scan_record_foreign_keys(scratch_url)) == 3
    await migrate(scratch_url, BEFORE_0010)
    assert len(await _scan_record_foreign_keys(scratch_url)) == 3
    await migrate(scratch_url)
    assert len(await _scan_record_foreign_keys(scratch_url)) == (0 if is_postgres(scratch_url) else 3)
