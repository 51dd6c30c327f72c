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

# Add n to one figure of (batch, day). The column name is one of FIGURES (format's %I quotes it).
ADD = """
CREATE FUNCTION pxq_stat_add(p_batch integer, p_day date, p_figure text, p_n bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_n = 0 OR p_n IS NULL OR p_batch IS NULL OR p_day IS NULL THEN
    RETURN;
  END IF;
  EXECUTE format(
    'INSERT INTO statistics_day (batch_id, day, %1$I) VALUES ($1, $2, $3) '
    'ON CONFLICT (batch_id, day) DO UPDATE SET %1$I = statistics_day.%1$I + EXCLUDED.%1$I',
    p_figure)
  USING p_batch, p_day, p_n;
END $$;
"""

# Each row's contribution, with a sign: -1 for the old row, +1 for the new one.
VOUCHER = """
CREATE FUNCTION pxq_stat_voucher_row(v voucher, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- A voucher given back (退券) is not counted: its unit is issued again to someone else.
  IF v.status <> 'returned' THEN
    PERFORM pxq_stat_add(v.batch_id, pxq_local_day(v.claimed_at), 'issued', sign);
    IF NOT v.automatic THEN
      PERFORM pxq_stat_add(v.batch_id, pxq_local_day(v.claimed_at), 'claimed', sign);
    END IF;
  END IF;
  IF v.used_at IS NOT NULL THEN
    PERFORM pxq_stat_add(v.batch_id, pxq_local_day(v.used_at), 'enrolled', sign);
  END IF;
  IF v.status IN ('expired', 'voided') THEN
    PERFORM pxq_stat_add(v.batch_id, pxq_local_day(v.valid_until), 'expired', sign);
  END IF;
END $$;

CREATE FUNCTION pxq_stat_voucher() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pxq_stat_voucher_row(OLD, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pxq_stat_voucher_row(NEW, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER statistics_voucher_write AFTER INSERT OR DELETE ON voucher
FOR EACH ROW EXECUTE FUNCTION pxq_stat_voucher();
CREATE TRIGGER statistics_voucher_change AFTER UPDATE ON voucher
FOR EACH ROW WHEN (
  OLD.status IS DISTINCT FROM NEW.status OR OLD.claimed_at IS DISTINCT FROM NEW.claimed_at
  OR OLD.used_at IS DISTINCT FROM NEW.used_at OR OLD.valid_until IS DISTINCT FROM NEW.valid_until
  OR OLD.automatic IS DISTINCT FROM NEW.automatic OR OLD.batch_id IS DISTINCT FROM NEW.batch_id
) EXECUTE FUNCTION pxq_stat_voucher();
"""

# Completed: a voucher counts once, on the day its first claim was filed (a claim filed again
# after a rejection does not count it twice). Settled: approved claims on the day of the decision.
CLAIM = """
CREATE FUNCTION pxq_stat_claim_row(c settlement_claim, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF c.status = 'approved' AND c.decided_at IS NOT NULL THEN
    PERFORM pxq_stat_add(c.batch_id, pxq_local_day(c.decided_at), 'settled', sign);
    PERFORM pxq_stat_add(c.batch_id, pxq_local_day(c.decided_at), 'subsidy_fen', sign * c.subsidy_fen);
  END IF;
END $$;

CREATE FUNCTION pxq_stat_claim() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NOT EXISTS (
    SELECT 1 FROM settlement_claim WHERE voucher_id = NEW.voucher_id AND id < NEW.id
  ) THEN
    PERFORM pxq_stat_add(NEW.batch_id, pxq_local_day(NEW.submitted_at), 'completed', 1);
  END IF;
  IF TG_OP = 'DELETE' AND NOT EXISTS (
    SELECT 1 FROM settlement_claim WHERE voucher_id = OLD.voucher_id AND id < OLD.id
  ) THEN
    PERFORM pxq_stat_add(OLD.batch_id, pxq_local_day(OLD.submitted_at), 'completed', -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pxq_stat_claim_row(OLD, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pxq_stat_claim_row(NEW, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER statistics_claim_write AFTER INSERT OR DELETE ON settlement_claim
FOR EACH ROW EXECUTE FUNCTION pxq_stat_claim();
CREATE TRIGGER statistics_claim_change AFTER UPDATE ON settlement_claim
FOR EACH ROW WHEN (
  OLD.status IS DISTINCT FROM NEW.status OR OLD.decided_at IS DISTINCT FROM NEW.decided_at
  OR OLD.subsidy_fen IS DISTINCT FROM NEW.subsidy_fen
) EXECUTE FUNCTION pxq_stat_claim();
"""

# Check-ins not annulled, on the day of the check-in; evaluations and their points on the day first
# given; sign-ups on the day made. Each counts for the batch of its voucher.
ATTENDANCE = """
CREATE FUNCTION pxq_stat_attendance_row(a attendance, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  b integer;
BEGIN
  IF a.annulled_at IS NOT NULL THEN
    RETURN;
  END IF;
  SELECT batch_id INTO b FROM voucher WHERE id = a.voucher_id;
  PERFORM pxq_stat_add(b, pxq_local_day(a.checked_in_at), 'checkins', sign);
  IF a.method = 'manual' THEN
    PERFORM pxq_stat_add(b, pxq_local_day(a.checked_in_at), 'manual_checkins', sign);
  END IF;
END $$;

CREATE FUNCTION pxq_stat_attendance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pxq_stat_attendance_row(OLD, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pxq_stat_attendance_row(NEW, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER statistics_attendance_write AFTER INSERT OR DELETE ON attendance
FOR EACH ROW EXECUTE FUNCTION pxq_stat_attendance();
CREATE TRIGGER statistics_attendance_change AFTER UPDATE ON attendance
FOR EACH ROW WHEN (
  OLD.annulled_at IS DISTINCT FROM NEW.annulled_at OR OLD.checked_in_at IS DISTINCT FROM NEW.checked_in_at
  OR OLD.method IS DISTINCT FROM NEW.method OR OLD.voucher_id IS DISTINCT FROM NEW.voucher_id
) EXECUTE FUNCTION pxq_stat_attendance();

CREATE FUNCTION pxq_stat_evaluation_row(e evaluation, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  b integer;
BEGIN
  SELECT batch_id INTO b FROM voucher WHERE id = e.voucher_id;
  PERFORM pxq_stat_add(b, pxq_local_day(e.given_at), 'evaluations', sign);
  PERFORM pxq_stat_add(
    b, pxq_local_day(e.given_at), 'evaluation_points', sign * (e.teaching + e.organisation + e.usefulness));
END $$;

CREATE FUNCTION pxq_stat_evaluation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pxq_stat_evaluation_row(OLD, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pxq_stat_evaluation_row(NEW, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER statistics_evaluation_write AFTER INSERT OR DELETE ON evaluation
FOR EACH ROW EXECUTE FUNCTION pxq_stat_evaluation();
CREATE TRIGGER statistics_evaluation_change AFTER UPDATE ON evaluation
FOR EACH ROW WHEN (
  OLD.teaching IS DISTINCT FROM NEW.teaching OR OLD.organisation IS DISTINCT FROM NEW.organisation
  OR OLD.usefulness IS DISTINCT FROM NEW.usefulness OR OLD.given_at IS DISTINCT FROM NEW.given_at
) EXECUTE FUNCTION pxq_stat_evaluation();

CREATE FUNCTION pxq_stat_signup() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s signup;
  sign integer;
  b integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    s := NEW;
    sign := 1;
  ELSE
    s := OLD;
    sign := -1;
  END IF;
  SELECT batch_id INTO b FROM voucher WHERE id = s.voucher_id;
  PERFORM pxq_stat_add(b, pxq_local_day(s.created_at), 'signups', sign);
  RETURN NULL;
END $$;

CREATE TRIGGER statistics_signup_write AFTER INSERT OR DELETE ON signup
FOR EACH ROW EXECUTE FUNCTION pxq_stat_signup();
"""


def _recount_view() -> str:
    """The figures counted from the rows, as the triggers keep them."""
    zeros = dict.fromkeys(FIGURES, "0")

    def part(source: str, **figures: str) -> str:
        columns = ", ".join(f"{figures.get(name, zeros[name])} AS {name}" for name in FIGURES)
        return f"SELECT batch_id, day, {columns} FROM ({source}) s"

    parts = [
        part(
            "SELECT batch_id, pxq_local_day(claimed_at) AS day, automatic FROM voucher WHERE status <> 'returned'",
            issued="1",
            claimed="CASE WHEN automatic THEN 0 ELSE 1 END",
        ),
        part("SELECT batch_id, pxq_local_day(used_at) AS day FROM voucher WHERE used_at IS NOT NULL", enrolled="1"),
        part(
            "SELECT batch_id, pxq_local_day(valid_until) AS day FROM voucher WHERE status IN ('expired', 'voided')",
            expired="1",
        ),
        part(
            "SELECT DISTINCT ON (voucher_id) batch_id, pxq_local_day(submitted_at) AS day"
            " FROM settlement_claim ORDER BY voucher_id, id",
            completed="1",
        ),
        part(
            "SELECT batch_id, pxq_local_day(decided_at) AS day, subsidy_fen FROM settlement_claim"
            " WHERE status = 'approved' AND decided_at IS NOT NULL",
            settled="1",
            subsidy_fen="subsidy_fen",
        ),
        part(
            "SELECT v.batch_id, pxq_local_day(a.checked_in_at) AS day, a.method FROM attendance a"
            " JOIN voucher v ON v.id = a.voucher_id WHERE a.annulled_at IS NULL",
            checkins="1",
            manual_checkins="CASE WHEN method = 'manual' THEN 1 ELSE 0 END",
        ),
        part(
            "SELECT v.batch_id, pxq_local_day(e.given_at) AS day, e.teaching + e.organisation + e.usefulness AS p"
            " FROM evaluation e JOIN voucher v ON v.id = e.voucher_id",
            evaluations="1",
            evaluation_points="p",
        ),
        part(
            "SELECT v.batch_id, pxq_local_day(s.created_at) AS day FROM signup s JOIN voucher v ON v.id = s.voucher_id",
            signups="1",
        ),
    ]
    sums = ", ".join(f"SUM({name})::bigint AS {name}" for name in FIGURES)
    union = "\nUNION ALL\n".join(parts)
    return f"CREATE VIEW statistics_recount AS SELECT batch_id, day, {sums} FROM (\n{union}\n) x GROUP BY batch_id, day"


BACKFILL = f"""
INSERT INTO statistics_day (batch_id, day, {", ".join(FIGURES)})
SELECT batch_id, day, {", ".join(FIGURES)} FROM statistics_recount
"""

DROP = """
DROP TRIGGER IF EXISTS statistics_voucher_write ON voucher;
DROP TRIGGER IF EXISTS statistics_voucher_change ON voucher;
DROP TRIGGER IF EXISTS statistics_claim_write ON settlement_claim;
DROP TRIGGER IF EXISTS statistics_claim_change ON settlement_claim;
DROP TRIGGER IF EXISTS statistics_attendance_write ON attendance;
DROP TRIGGER IF EXISTS statistics_attendance_change ON attendance;
DROP TRIGGER IF EXISTS statistics_evaluation_write ON evaluation;
DROP TRIGGER IF EXISTS statistics_evaluation_change ON evaluation;
DROP TRIGGER IF EXISTS statistics_signup_write ON signup;
DROP VIEW IF EXISTS statistics_recount;
DROP FUNCTION IF EXISTS pxq_stat_signup();
DROP FUNCTION IF EXISTS pxq_stat_evaluation();
DROP FUNCTION IF EXISTS pxq_stat_evaluation_row(evaluation, integer);
DROP FUNCTION IF EXISTS pxq_stat_attendance();
DROP FUNCTION IF EXISTS pxq_stat_attendance_row(attendance, integer);
DROP FUNCTION IF EXISTS pxq_stat_claim();
DROP FUNCTION IF EXISTS pxq_stat_claim_row(settlement_claim, integer);
DROP FUNCTION IF EXISTS pxq_stat_voucher();
DROP FUNCTION IF EXISTS pxq_stat_voucher_row(voucher, integer);
DROP FUNCTION IF EXISTS pxq_stat_add(integer, date, text, bigint);
DROP FUNCTION IF EXISTS pxq_local_day(timestamptz);
"""


def _on_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def install(apps, schema_editor) -> None:
    if not _on_postgres(schema_editor):
        return
    # The triggers insert a row naming one figure: the others start at 0 in the database itself.
    defaults = "; ".join(f"ALTER TABLE statistics_day ALTER COLUMN {name} SET DEFAULT 0" for name in FIGURES)
    for script in (defaults, LOCAL_DAY, ADD, VOUCHER, CLAIM, ATTENDANCE, _recount_view(), BACKFILL):
        await schema_editor.client.execute_script(script)


async def uninstall(apps, schema_editor) -> None:
    if _on_postgres(schema_editor):
        await schema_editor.client.execute_script(DROP)


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
