"""Issue 20 (tamper-evident history): every voucher history row is sealed as it is written.

`row_hash` = sha256 over the row's content and `prev_hash`, the seal of the voucher's previous
row ('' for a voucher's first row, or when that row predates this migration). A database
trigger fills both on INSERT, so every write path (ORM saves, bulk inserts, the claim and expiry
statements of `models.sql`) is sealed in its own transaction without knowing about it. Rows
written before this migration keep NULL: "before sealing"; `history_sealing` keeps the first id
sealed, so a later row cannot pass for an old one by losing its seal. See docs/history.md.

PostgreSQL: PL/pgSQL `pxq_history_hash(...)` and a BEFORE INSERT trigger. SQLite: the same
function in Python (`models.history_hash`, registered on every connection by
`models.sqlite_backend`) and an AFTER INSERT trigger that updates the new row.
"""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below (on
    SQLite Tortoise adds a field by rebuilding the table; see 0017)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


_PG_HASH = r"""
CREATE OR REPLACE FUNCTION pxq_history_hash(
    prev_hash text, id bigint, voucher_id bigint, at timestamptz, action text, actor_kind text,
    actor_id text, from_status text, to_status text, automatic boolean, detail jsonb
) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    -- The canonical text of models/history_hash.py: "pxq-history-v1", then per field "|-" for
    -- NULL or "|<length>:<text>". Time in whole microseconds (extract gives numeric: exact);
    -- jsonb's own text form, so a recomputation reads what the insert hashed.
    parts text[] := ARRAY[
        prev_hash, id::text, voucher_id::text, floor(extract(epoch FROM at) * 1000000)::bigint::text,
        action, actor_kind, actor_id, from_status, to_status,
        CASE WHEN automatic IS NULL THEN NULL WHEN automatic THEN '1' ELSE '0' END, detail::text
    ];
    canonical text := 'pxq-history-v1';
    part text;
BEGIN
    FOREACH part IN ARRAY parts LOOP
        canonical := canonical || CASE WHEN part IS NULL THEN '|-' ELSE '|' || length(part) || ':' || part END;
    END LOOP;
    RETURN encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
END
$$
"""

_PG_SEAL = r"""
CREATE OR REPLACE FUNCTION pxq_history_seal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
    last_hash text;
BEGIN
    SELECT h.id, h.row_hash INTO last_id, last_hash FROM voucher_history h
    WHERE h.voucher_id = NEW.voucher_id ORDER BY h.id DESC LIMIT 1;
    IF FOUND THEN
        -- An existing chain: one writer at a time, so two changes cannot both follow the same
        -- row. Every use case already holds the voucher row (a no-op then); this makes it hold
        -- for any writer. A row lock, not an advisory lock: the expiry sweep changes 5,000
        -- vouchers in one transaction, and as many advisory locks would fill the lock table.
        -- A brand-new voucher (the claim) has no chain yet and nobody else can see it.
        PERFORM 1 FROM voucher WHERE id = NEW.voucher_id FOR NO KEY UPDATE;
        SELECT h.id, h.row_hash INTO last_id, last_hash FROM voucher_history h
        WHERE h.voucher_id = NEW.voucher_id ORDER BY h.id DESC LIMIT 1;
        IF last_id > NEW.id THEN
            -- That row drew its id after ours but committed first: the chain follows id order.
            NEW.id := nextval(pg_get_serial_sequence('voucher_history', 'id'));
        END IF;
    END IF;
    NEW.prev_hash := coalesce(last_hash, '');
    NEW.row_hash := pxq_history_hash(NEW.prev_hash, NEW.id, NEW.voucher_id, NEW.at, NEW.action, NEW.actor_kind,
                                     NEW.actor_id, NEW.from_status, NEW.to_status, NEW.automatic, NEW.detail);
    RETURN NEW;
END
$$
"""

_SQLITE_SEAL = """
CREATE TRIGGER voucher_history_seal AFTER INSERT ON voucher_history
BEGIN
    UPDATE voucher_history SET prev_hash = coalesce(
        (SELECT h.row_hash FROM voucher_history h WHERE h.voucher_id = NEW.voucher_id AND h.id < NEW.id
         ORDER BY h.id DESC LIMIT 1), '')
    WHERE id = NEW.id;
    -- The stored values, as a recomputation will read them.
    UPDATE voucher_history SET row_hash = pxq_history_hash(prev_hash, id, voucher_id, at, action, actor_kind,
                                                           actor_id, from_status, to_status, automatic, detail)
    WHERE id = NEW.id;
END
"""


def _on_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def seal(apps, schema_editor) -> None:
    run = schema_editor._run_sql
    await run("ALTER TABLE voucher_history ADD COLUMN prev_hash VARCHAR(64)")
    await run("ALTER TABLE voucher_history ADD COLUMN row_hash VARCHAR(64)")
    # Where sealing began: a row from there on without a seal lost it (no model: nothing reads it
    # but the verification's SQL, models/sql/history_chain.py).
    await run("CREATE TABLE history_sealing (sealed_from BIGINT NOT NULL)")
    await run("INSERT INTO history_sealing (sealed_from) SELECT coalesce(max(id), 0) + 1 FROM voucher_history")
    if _on_postgres(schema_editor):
        await run(_PG_HASH)
        await run(_PG_SEAL)
        await run(
            "CREATE TRIGGER voucher_history_seal BEFORE INSERT ON voucher_history "
            "FOR EACH ROW EXECUTE FUNCTION pxq_history_seal()"
        )
    else:  # in one piece: the editor's _run_sql splits at every ";"
        await schema_editor.client.execute_query(_SQLITE_SEAL)


async def unseal(apps, schema_editor) -> None:
    run = schema_editor._run_sql
    await run("DROP TRIGGER IF EXISTS voucher_history_seal" + (" ON voucher_history" if _on_postgres(schema_editor) else ""))
    if _on_postgres(schema_editor):
        await run("DROP FUNCTION IF EXISTS pxq_history_seal()")
        await run(
            "DROP FUNCTION IF EXISTS pxq_history_hash(text, bigint, bigint, timestamptz, text, text, text, text, text, "
            "boolean, jsonb)"
        )
    await run("DROP TABLE history_sealing")
    await run("ALTER TABLE voucher_history DROP COLUMN row_hash")
    await run("ALTER TABLE voucher_history DROP COLUMN prev_hash")


class Migration(migrations.Migration):
    dependencies = [("models", "0017_offline_scans")]

    initial = False

    operations = [
        AddFieldState(model_name="VoucherHistory", name="prev_hash", field=fields.CharField(max_length=64, null=True)),
        AddFieldState(model_name="VoucherHistory", name="row_hash", field=fields.CharField(max_length=64, null=True)),
        ops.RunPython(seal, unseal),
        # The trigger's "previous row of this voucher", the history page, the wallet.
        ops.AddIndex(model_name="VoucherHistory", index=Index(fields=["voucher_id", "id"])),
        # The daily roots read one day's rows.
        ops.AddIndex(model_name="VoucherHistory", index=Index(fields=["at"])),
    ]
