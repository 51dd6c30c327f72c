"""Issue 22 (statistics that do not grow with the data): `statistics_day`, one row of figures per
batch and local date, kept by PostgreSQL triggers in the transaction of every change to a voucher,
a settlement claim, a check-in, an evaluation or a sign-up, whichever code path (ORM or
hand-written statement) makes it. Each trigger takes the old row's contribution away and adds the
new row's, so a change to a past day (a voucher returned months after it was claimed, an
evaluation edited) corrects that day.

The view `statistics_recount` counts the same figures from the rows themselves: the backfill
below, and `peixunquan verify-statistics`, which compares it with the table.

SQLite (`make run`) gets the table only: statistics count rows there (vouchers.reporting).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

FIGURES = (
    "issued",
    "claimed",
    "enrolled",
    "completed",
    "settled",
    "expired",
    "subsidy_fen",
    "checkins",
    "manual_checkins",
    "evaluations",
    "evaluation_points",
    "signups",
)

# The local date of an instant: statistics periods are local months and years.
LOCAL_DAY = """
CREATE FUNCTION pxq_local_day(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (at AT TIME ZONE 'Asia/Shanghai')::date $$;
"""

# What each row of a table contributes to the figures of its (batch, local date), as SELECTs over a
# relation named {rows} with a {sign}: the table itself for the recount, or a statement's
# transition table (+1 for the rows written, -1 for the rows as they were) for the triggers.
# One definition for both, so the rollups and the recount cannot count differently.
PARTS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "voucher": [
        # A voucher given back (退券) is not counted: its unit is issued again to someone else.
        (
            "SELECT batch_id, pxq_local_day(claimed_at) AS day, automatic FROM {rows} WHERE status <> 'returned'",
            {"issued": "{sign}", "claimed": "CASE WHEN automatic THEN 0 ELSE {sign} END"},
        ),
        (
            "SELECT batch_id, pxq_local_day(used_at) AS day FROM {rows} WHERE used_at IS NOT NULL",
            {"enrolled": "{sign}"},
        ),
        (
            "SELECT batch_id, pxq_local_day(valid_until) AS day FROM {rows} WHERE status IN ('expired', 'voided')",
            {"expired": "{sign}"},
        ),
    ],
    # Settled: approved claims, on the day of the decision, with the subsidy approved. (Completed
    # is counted apart: a voucher once, on the day its first claim was filed.)
    "settlement_claim": [
        (
            "SELECT batch_id, pxq_local_day(decided_at) AS day, subsidy_fen FROM {rows}"
            " WHERE status = 'approved' AND decided_at IS NOT NULL",
            {"settled": "{sign}", "subsidy_fen": "{sign} * subsidy_fen"},
        ),
    ],
    # Check-ins not annulled, on the day of the check-in; evaluations and their points on the day
    # first given; sign-ups on the day made: each for the batch of its voucher.
    "attendance": [
        (
            "SELECT v.batch_id, pxq_local_day(a.checked_in_at) AS day, a.method FROM {rows} a"
            " JOIN voucher v ON v.id = a.voucher_id WHERE a.annulled_at IS NULL",
            {"checkins": "{sign}", "manual_checkins": "CASE WHEN method = 'manual' THEN {sign} ELSE 0 END"},
        ),
    ],
    "evaluation": [
        (
            "SELECT v.batch_id, pxq_local_day(e.given_at) AS day, e.teaching + e.organisation + e.usefulness AS p"
            " FROM {rows} e JOIN voucher v ON v.id = e.voucher_id",
            {"evaluations": "{sign}", "evaluation_points": "{sign} * p"},
        ),
    ],
    "signup": [
        (
            "SELECT v.batch_id, pxq_local_day(s.created_at) AS day FROM {rows} s JOIN voucher v ON v.id = s.voucher_id",
            {"signups": "{sign}"},
        ),
    ],
}
# A voucher's first claim (the lowest id): `{rows}` are claims, `settlement_claim` all of them.
FIRST_CLAIMS = (
    "SELECT batch_id, pxq_local_day(submitted_at) AS day FROM {rows} n"
    " WHERE NOT EXISTS (SELECT 1 FROM settlement_claim c WHERE c.voucher_id = n.voucher_id AND c.id < n.id)",
    {"completed": "{sign}"},
)


def _select(source: str, figures: dict[str, str], rows: str, sign: str) -> str:
    columns = ", ".join(f"{figures.get(name, '0').format(sign=sign)} AS {name}" for name in FIGURES)
    return f"SELECT batch_id, day, {columns} FROM ({source.format(rows=rows)}) s"


def _sums(selects: list[str]) -> str:
    sums = ", ".join(f"SUM({name})::bigint AS {name}" for name in FIGURES)
    union = "\nUNION ALL\n".join(selects)
    return f"SELECT batch_id, day, {sums} FROM (\n{union}\n) x GROUP BY batch_id, day"


def _recount_view() -> str:
    """The figures counted from the rows themselves."""
    parts = [(source, figures) for table in PARTS for source, figures in PARTS[table]]
    selects = [_select(source, figures, table, "1") for table in PARTS for source, figures in PARTS[table]]
    selects.append(_select(*FIRST_CLAIMS, "settlement_claim", "1"))
    assert len(selects) == len(parts) + 1
    return f"CREATE VIEW statistics_recount AS {_sums(selects)}"


def _apply(selects: list[str]) -> str:
    """Add what `selects` contribute to the rollups: one upsert per statement, in (batch, day)
    order so concurrent statements lock the rows they share in the same order."""
    columns = ", ".join(FIGURES)
    changed = " OR ".join(f"{name} <> 0" for name in FIGURES)
    updates = ", ".join(f"{name} = statistics_day.{name} + EXCLUDED.{name}" for name in FIGURES)
    return (
        f"INSERT INTO statistics_day (batch_id, day, {columns})"
        f" SELECT batch_id, day, {columns} FROM ({_sums(selects)}) d"
        f" WHERE batch_id IS NOT NULL AND day IS NOT NULL AND ({changed}) ORDER BY batch_id, day"
        f" ON CONFLICT (batch_id, day) DO UPDATE SET {updates}"
    )


def _triggers(table: str) -> str:
    """Statement-level triggers with transition tables: a group commit of 200 claims, a roster of
    thousands or an expiry sweep is one upsert, not a trigger call per row."""
    parts = PARTS[table]
    first = [FIRST_CLAIMS] if table == "settlement_claim" else []
    inserted = [_select(src, fig, "new_rows", "1") for src, fig in parts + first]
    updated = [_select(src, fig, "new_rows", "1") for src, fig in parts] + [
        _select(src, fig, "old_rows", "-1") for src, fig in parts
    ]
    # A claim is never deleted (RESTRICT everywhere); were one, verify-statistics would tell.
    deleted = [_select(src, fig, "old_rows", "-1") for src, fig in parts]
    script = []
    for event, selects, referencing in (
        ("INSERT", inserted, "NEW TABLE AS new_rows"),
        ("UPDATE", updated, "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", deleted, "OLD TABLE AS old_rows"),
    ):
        name = f"pxq_stat_{table}_{event.lower()}"
        script.append(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{_apply(selects)};\nRETURN NULL;\nEND $$;\n"
            f"CREATE TRIGGER statistics_{event.lower()} AFTER {event} ON {table}"
            f" REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
        )
    return "\n".join(script)


BACKFILL = f"""
INSERT INTO statistics_day (batch_id, day, {", ".join(FIGURES)})
SELECT batch_id, day, {", ".join(FIGURES)} FROM statistics_recount
"""


def _drop() -> str:
    script = []
    for table in PARTS:
        for event in ("insert", "update", "delete"):
            script.append(f"DROP TRIGGER IF EXISTS statistics_{event} ON {table};")
            script.append(f"DROP FUNCTION IF EXISTS pxq_stat_{table}_{event}();")
    script += ["DROP VIEW IF EXISTS statistics_recount;", "DROP FUNCTION IF EXISTS pxq_local_day(timestamptz);"]
    return "\n".join(script)


def _on_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def install(apps, schema_editor) -> None:
    if not _on_postgres(schema_editor):
        return
    # The triggers insert a row naming one figure: the others start at 0 in the database itself.
    defaults = "; ".join(f"ALTER TABLE statistics_day ALTER COLUMN {name} SET DEFAULT 0" for name in FIGURES)
    for script in (defaults, LOCAL_DAY, *(_triggers(table) for table in PARTS), _recount_view(), BACKFILL):
        await schema_editor.client.execute_script(script)


async def uninstall(apps, schema_editor) -> None:
    if _on_postgres(schema_editor):
        await schema_editor.client.execute_script(_drop())


class Migration(migrations.Migration):
    dependencies = [("models", "0025_trainee_logout")]

    initial = False

    operations = [
        ops.CreateModel(
            name="StatisticsDay",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("batch_id", fields.IntField()),
                ("day", fields.DateField()),
                *[(name, fields.BigIntField(default=0)) for name in FIGURES],
            ],
            options={
                "table": "statistics_day",
                "app": "models",
                "unique_together": (("batch_id", "day"),),
                "pk_attr": "id",
                "table_description": "The statistics' figures of one batch on one local date (Asia/Shanghai), kept by PostgreSQL",
            },
            bases=["Model"],
        ),
        ops.RunPython(install, uninstall),
    ]
