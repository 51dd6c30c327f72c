"""Issue 22: the three tables that only grow (scan records, voucher history, outbox messages) become
PostgreSQL range-partitioned tables, one partition per month (UTC), created ahead by the worker
(`models.partitions`, job `partitions_ahead`); delivered outbox months are dropped after
`[worker] outbox_retention_days` (job `outbox_retention`). See docs/postgres-ha.md.

Each table keeps its name and its rows: the table as it was becomes the partition `<table>_plegacy`
for everything before the first month boundary after this migration, so nothing is copied, and
`<table>_pdefault` catches a row dated where no month partition exists yet. The primary key
becomes (id, <month column>), as a partitioned table's unique keys must hold its partition key;
ids still come from the table's one sequence.

Two uniques could not stay on a partitioned table, as they do not hold the month: a scan's
(staff_id, nonce) and an outbox row's dedupe_key. Each moves to a small unpartitioned key table
that a BEFORE trigger fills for every inserted row, so any write path (ORM, hand-written SQL)
is held to it as before: a taken key fails the insert with unique_violation. A statement that
wants "skip the taken keys" claims them first in the key table (`ON CONFLICT DO NOTHING`) with
the ids its rows will get; the trigger lets a row through whose key it finds claimed for its own
id. wechat_delivery loses its foreign key to outbox_message (a key cannot reference a
partitioned table's id alone); the retention job deletes a dropped month's deliveries itself.

SQLite (`make run`, the embedded tests) has no partitioning: its tables stay as they are, and
retention deletes delivered rows there.
"""

from datetime import UTC, datetime
from importlib import import_module

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# table: (month column, plain indexes, uniques that become plain indexes, foreign keys, triggers)
TABLES = {
    "scan_record": {
        "key": "created_at",
        "indexes": {},
        "uniques": {"uid_scan_record_staff_i_6e7ed4": "staff_id, nonce"},
        "fks": {},
    },
    "voucher_history": {
        "key": "at",
        "indexes": {"idx_voucher_his_at_88ecb4": "at", "idx_voucher_his_voucher_921323": "voucher_id, id"},
        "uniques": {},
        "fks": {"voucher_history_voucher_id_fkey": ("voucher_id", "voucher")},
    },
    "outbox_message": {
        "key": "created_at",
        "indexes": {
            "idx_outbox_mess_institu_eaef33": "institution_id, id",
            "idx_outbox_mess_next_at_9c52b3": "next_attempt_at",
            "idx_outbox_mess_person__98e558": "person_id, id",
            "idx_outbox_mess_status_4d04e0": "status, next_attempt_at",
        },
        "uniques": {"outbox_message_dedupe_key_key": "dedupe_key"},
        "fks": {
            "outbox_message_person_id_fkey": ("person_id", "person"),
            "outbox_message_voucher_id_fkey": ("voucher_id", "voucher"),
        },
    },
}
AHEAD_MONTHS = 2  # as `models.partitions.AHEAD_MONTHS`: the worker keeps this many ready

KEY_TABLES = """
CREATE TABLE scan_record_nonce (
    staff_id INT NOT NULL,
    nonce VARCHAR(64) NOT NULL,
    record_id BIGINT NOT NULL,
    PRIMARY KEY (staff_id, nonce)
);
INSERT INTO scan_record_nonce (staff_id, nonce, record_id) SELECT staff_id, nonce, id FROM scan_record;
CREATE TABLE outbox_dedupe (
    dedupe_key VARCHAR(128) NOT NULL PRIMARY KEY,
    outbox_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_dedupe_outbox_id_idx ON outbox_dedupe (outbox_id);
INSERT INTO outbox_dedupe (dedupe_key, outbox_id, created_at)
SELECT dedupe_key, id, created_at FROM outbox_message WHERE dedupe_key IS NOT NULL;
"""

# A row passes if its key is claimed for its own id (a statement claimed it first); otherwise it
# claims the key now, and a key held by another row fails the insert with unique_violation.
KEY_TRIGGERS = r"""
CREATE FUNCTION pxq_scan_nonce() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM scan_record_nonce WHERE staff_id = NEW.staff_id AND nonce = NEW.nonce AND record_id = NEW.id;
    IF NOT FOUND THEN
        INSERT INTO scan_record_nonce (staff_id, nonce, record_id) VALUES (NEW.staff_id, NEW.nonce, NEW.id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER scan_record_nonce BEFORE INSERT ON scan_record FOR EACH ROW EXECUTE FUNCTION pxq_scan_nonce();
CREATE FUNCTION pxq_outbox_dedupe() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM outbox_dedupe WHERE dedupe_key = OLD.dedupe_key AND outbox_id = OLD.id;
    END IF;
    IF NEW.dedupe_key IS NOT NULL THEN
        PERFORM 1 FROM outbox_dedupe WHERE dedupe_key = NEW.dedupe_key AND outbox_id = NEW.id;
        IF NOT FOUND THEN
            INSERT INTO outbox_dedupe (dedupe_key, outbox_id, created_at) VALUES (NEW.dedupe_key, NEW.id, NEW.created_at);
        END IF;
    END IF;
    RETURN NEW;
END
$$;
-- Only rows with a key call the function (most rows, a claim's notice among them, have none).
CREATE TRIGGER outbox_dedupe BEFORE INSERT ON outbox_message
FOR EACH ROW WHEN (NEW.dedupe_key IS NOT NULL) EXECUTE FUNCTION pxq_outbox_dedupe();
CREATE TRIGGER outbox_dedupe_renamed BEFORE UPDATE OF dedupe_key ON outbox_message
FOR EACH ROW WHEN (OLD.dedupe_key IS DISTINCT FROM NEW.dedupe_key) EXECUTE FUNCTION pxq_outbox_dedupe();
"""

# The seal (migration 0018) chains a row to the voucher's previous one. Looking that row up in
# voucher_history probes every month partition (about 1 us each here: 44 us per write at 40
# months), so the chain's head is kept per voucher instead: one probe whatever the months. The
# lock, the hash and the id-order rule are as in 0018.
HISTORY_HEAD = r"""
CREATE TABLE voucher_history_head (
    voucher_id BIGINT NOT NULL PRIMARY KEY,
    last_id BIGINT NOT NULL,
    last_hash VARCHAR(64)
);
INSERT INTO voucher_history_head (voucher_id, last_id, last_hash)
SELECT DISTINCT ON (voucher_id) voucher_id, id, row_hash FROM voucher_history ORDER BY voucher_id, id DESC;
CREATE OR REPLACE FUNCTION pxq_history_seal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
    last_hash text;
BEGIN
    LOOP
        SELECT h.last_id, h.last_hash INTO last_id, last_hash FROM voucher_history_head h
        WHERE h.voucher_id = NEW.voucher_id;
        IF FOUND THEN
            -- An existing chain: one writer at a time, held at the voucher row as in 0018 (the use
            -- cases hold it first, so the locks are always taken in that order), then read again.
            PERFORM 1 FROM voucher WHERE id = NEW.voucher_id FOR NO KEY UPDATE;
            SELECT h.last_id, h.last_hash INTO last_id, last_hash FROM voucher_history_head h
            WHERE h.voucher_id = NEW.voucher_id;
            IF last_id > NEW.id THEN
                -- That row drew its id after ours but committed first: the chain follows id order.
                NEW.id := nextval(pg_get_serial_sequence('voucher_history', 'id'));
            END IF;
        END IF;
        NEW.prev_hash := coalesce(last_hash, '');
        NEW.row_hash := pxq_history_hash(NEW.prev_hash, NEW.id, NEW.voucher_id, NEW.at, NEW.action, NEW.actor_kind,
                                         NEW.actor_id, NEW.from_status, NEW.to_status, NEW.automatic, NEW.detail);
        IF last_id IS NOT NULL THEN
            UPDATE voucher_history_head SET last_id = NEW.id, last_hash = NEW.row_hash WHERE voucher_id = NEW.voucher_id;
            RETURN NEW;
        END IF;
        -- A voucher's first row (the claim: nobody else sees the voucher yet).
        INSERT INTO voucher_history_head (voucher_id, last_id, last_hash) VALUES (NEW.voucher_id, NEW.id, NEW.row_hash)
        ON CONFLICT (voucher_id) DO NOTHING;
        IF FOUND THEN
            RETURN NEW;
        END IF;
        -- Another first row won meanwhile: chain onto it.
    END LOOP;
END
$$;
"""

# The way back: 0018's own function, read from that migration so it comes back exactly.
HISTORY_SEAL_0018 = import_module("models.migrations.0018_history_chain")._PG_SEAL

DROP_KEYS = """
DROP TRIGGER IF EXISTS scan_record_nonce ON scan_record;
DROP TRIGGER IF EXISTS outbox_dedupe ON outbox_message;
DROP TRIGGER IF EXISTS outbox_dedupe_renamed ON outbox_message;
DROP FUNCTION IF EXISTS pxq_scan_nonce();
DROP FUNCTION IF EXISTS pxq_outbox_dedupe();
DROP TABLE IF EXISTS scan_record_nonce;
DROP TABLE IF EXISTS outbox_dedupe;
"""

SEAL_TRIGGER = "CREATE TRIGGER voucher_history_seal BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION pxq_history_seal()"
WECHAT_FK = "wechat_delivery_outbox_id_fkey"


def _month_after(at: datetime, months: int = 1) -> datetime:
    index = at.year * 12 + at.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _month_name(table: str, start: datetime) -> str:
    return f"{table}_p{start:%Y%m}"


def _foreign_keys(table: str, spec: dict) -> list[str]:
    return [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (id) ON DELETE RESTRICT"
        for name, (column, target) in spec["fks"].items()
    ]


def _partition(table: str, spec: dict, bound: datetime) -> list[str]:
    key = spec["key"]
    legacy = f"{table}_plegacy"
    script = [f"ALTER TABLE {table} RENAME TO {legacy}", f"ALTER TABLE {legacy} DROP CONSTRAINT {table}_pkey"]
    script += [f"ALTER TABLE {legacy} DROP CONSTRAINT {name}" for name in spec["uniques"]]
    script += [f"ALTER INDEX {name} RENAME TO {name}_plegacy" for name in spec["indexes"]]
    script += [
        f"CREATE TABLE {table} (LIKE {legacy} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ({key})",
        f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id",
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {key})",
    ]
    script += [f"CREATE INDEX {name} ON {table} ({columns})" for name, columns in spec["indexes"].items()]
    # The old uniques, kept as plain indexes: lookups by nonce and by dedupe key still need them.
    script += [f"CREATE INDEX {name} ON {table} ({columns})" for name, columns in spec["uniques"].items()]
    script += _foreign_keys(table, spec)
    script += [
        f"ALTER TABLE {table} ATTACH PARTITION {legacy} FOR VALUES FROM (MINVALUE) TO ('{bound.isoformat()}')",
        f"CREATE TABLE {table}_pdefault PARTITION OF {table} DEFAULT",
    ]
    for ahead in range(AHEAD_MONTHS):
        start, end = _month_after(bound, ahead), _month_after(bound, ahead + 1)
        script.append(
            f"CREATE TABLE {_month_name(table, start)} PARTITION OF {table} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    return script


def _flatten(table: str, spec: dict) -> list[str]:
    """Back to one plain table holding every partition's rows, with its old constraints."""
    flat = f"{table}_flat"
    script = [
        f"CREATE TABLE {flat} (LIKE {table} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS)",
        f"INSERT INTO {flat} SELECT * FROM {table}",
        f"ALTER SEQUENCE {table}_id_seq OWNED BY {flat}.id",
        f"DROP TABLE {table}",
        f"ALTER TABLE {flat} RENAME TO {table}",
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
    ]
    script += [f"CREATE INDEX {name} ON {table} ({columns})" for name, columns in spec["indexes"].items()]
    script += [f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({cols})" for name, cols in spec["uniques"].items()]
    script += _foreign_keys(table, spec)
    return script


def _on_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def partition(apps, schema_editor) -> None:
    if not _on_postgres(schema_editor):
        return
    bound = _month_after(datetime.now(UTC))
    script = [f"ALTER TABLE wechat_delivery DROP CONSTRAINT {WECHAT_FK}", "DROP TRIGGER voucher_history_seal ON voucher_history"]
    for table, spec in TABLES.items():
        script += _partition(table, spec, bound)
    script.append(SEAL_TRIGGER.format(table="voucher_history"))
    await schema_editor.client.execute_script(";\n".join(script) + ";\n" + KEY_TABLES + KEY_TRIGGERS + HISTORY_HEAD)


async def flatten(apps, schema_editor) -> None:
    if not _on_postgres(schema_editor):
        return
    script = [DROP_KEYS, HISTORY_SEAL_0018, "DROP TABLE IF EXISTS voucher_history_head"]
    for table, spec in TABLES.items():
        script += _flatten(table, spec)
    script.append(SEAL_TRIGGER.format(table="voucher_history"))
    script.append(
        f"ALTER TABLE wechat_delivery ADD CONSTRAINT {WECHAT_FK} FOREIGN KEY (outbox_id) "
        "REFERENCES outbox_message (id) ON DELETE RESTRICT"
    )
    await schema_editor.client.execute_script(";\n".join(script) + ";\n")


class AlterFieldState(ops.AlterField):
    """An AlterField for the migration state only (as in 0010): the constraint goes on PostgreSQL
    in RunPython; SQLite keeps it, as dropping one there rebuilds the table."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [("models", "0026_statistics_rollup")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="WechatDelivery",
            name="outbox",
            field=fields.ForeignKeyField(
                "models.OutboxMessage",
                source_field="outbox_id",
                db_constraint=False,
                to_field="id",
                related_name="wechat_deliveries",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.RunPython(partition, flatten),
    ]
